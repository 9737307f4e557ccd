// Disk with centre (0.5, 0.5) and radius 0.5, unstructured triangles.
// Mesh size h: gmsh -setnumber h 0.03125 ... (default 1/32).
// The boundary circle is meshed by chords, so the mesh area is that of the inscribed
// polygon: pi/4 - O(h^2) (about pi h^2 / 6 below pi/4 for chords of length h).
// Physical groups: curve boundary 1, surface domain 5.
If (!Exists(h))
  h = 1/32;
EndIf
Point(1) = {0.5, 0.5, 0, h}; // centre
Point(2) = {1.0, 0.5, 0, h};
Point(3) = {0.5, 1.0, 0, h};
Point(4) = {0.0, 0.5, 0, h};
Point(5) = {0.5, 0.0, 0, h};
Circle(1) = {2, 1, 3};
Circle(2) = {3, 1, 4};
Circle(3) = {4, 1, 5};
Circle(4) = {5, 1, 2};
Curve Loop(1) = {1, 2, 3, 4};
Plane Surface(1) = {1};
Physical Curve("boundary", 1) = {1, 2, 3, 4};
Physical Surface("domain", 5) = {1};
