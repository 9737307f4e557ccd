export * from './csr.js';
export * from './vector.js';
export * from './pcg.js';
export * from './preconditioners.js';
export * from './ordering.js';
export * from './cholesky.js';
