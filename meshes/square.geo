// Unit square [0,1]^2, unstructured triangles (Gmsh Frontal-Delaunay).
// Mesh size h: gmsh -setnumber h 0.03125 ... (default 1/16).
// Opposite sides are periodic copies of each other (Periodic Curve), so every
// node on x = 0 has a partner on x = 1 at the same y (and likewise for y = 0 / y = 1);
// the same mesh serves Neumann, Dirichlet and periodic problems.
// Physical groups: curves xmin 1, xmax 2, ymin 3, ymax 4 (as in src/mesh/generators.ts),
// surface domain 5.
If (!Exists(h))
  h = 1/16;
EndIf
If (!Exists(quads))
  quads = 0;
EndIf
Point(1) = {0, 0, 0, h};
Point(2) = {1, 0, 0, h};
Point(3) = {1, 1, 0, h};
Point(4) = {0, 1, 0, h};
Line(1) = {1, 2}; // y = 0, left to right
Line(2) = {2, 3}; // x = 1, bottom to top
Line(3) = {4, 3}; // y = 1, left to right
Line(4) = {1, 4}; // x = 0, bottom to top
Curve Loop(1) = {1, 2, -3, -4};
Plane Surface(1) = {1};
Periodic Curve {2} = {4} Translate {1, 0, 0};
Periodic Curve {3} = {1} Translate {0, 1, 0};
If (quads)
  Recombine Surface {1};
EndIf
Physical Curve("xmin", 1) = {4};
Physical Curve("xmax", 2) = {2};
Physical Curve("ymin", 3) = {1};
Physical Curve("ymax", 4) = {3};
Physical Surface("domain", 5) = {1};
