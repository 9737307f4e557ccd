export * from './mesh.js';
export * from './generators.js';
export * from './validate.js';
export * from './phase.js';
