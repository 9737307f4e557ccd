// L-shaped domain [0,1]^2 minus [0.5,1]x[0.5,1] (area 3/4), unstructured triangles.
// Mesh size h: gmsh -setnumber h 0.03125 ... (default 1/32). Re-entrant corner at (0.5, 0.5).
// Physical groups: curve boundary 1, surface domain 5.
If (!Exists(h))
  h = 1/32;
EndIf
Point(1) = {0, 0, 0, h};
Point(2) = {1, 0, 0, h};
Point(3) = {1, 0.5, 0, h};
Point(4) = {0.5, 0.5, 0, h};
Point(5) = {0.5, 1, 0, h};
Point(6) = {0, 1, 0, h};
Line(1) = {1, 2};
Line(2) = {2, 3};
Line(3) = {3, 4};
Line(4) = {4, 5};
Line(5) = {5, 6};
Line(6) = {6, 1};
Curve Loop(1) = {1, 2, 3, 4, 5, 6};
Plane Surface(1) = {1};
Physical Curve("boundary", 1) = {1, 2, 3, 4, 5, 6};
Physical Surface("domain", 5) = {1};
