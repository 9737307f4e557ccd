export * from './checker.js';
