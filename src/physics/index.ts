export * from './energy.js';
export * from './potential.js';
export * from './step-functional.js';
export * from './problems.js';
export { mulberry32 } from './random.js';
export * from './resolution.js';
