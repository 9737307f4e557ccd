export * from './energy.js';
export * from './problems.js';
export { mulberry32 } from './random.js';
