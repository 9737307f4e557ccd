export * from './atomic.js';
export * from './csv.js';
export * from './checkpoint.js';
export * from './vtk.js';
export * from './png.js';
export * from './gmsh.js';
export * from './json.js';
