export * from './mesh.js';
export * from './generators.js';
