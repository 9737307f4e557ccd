export * from './csr.js';
export * from './vector.js';
export * from './pcg.js';
