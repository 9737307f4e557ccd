#!/bin/sh
# Regenerates every .msh file in this folder from its .geo source with Gmsh
# (tested with Gmsh 4.8.4, Debian package `gmsh`). Run from anywhere:
#   sh meshes/generate.sh
# Gmsh's meshers are deterministic for a given version, so the committed files are
# reproduced exactly by the same Gmsh version (other versions may place nodes differently).
set -eu
cd "$(dirname "$0")"
GMSH=${GMSH:-gmsh}

mesh() { # mesh <geo> <output> <format> [gmsh options...]
  geo=$1; out=$2; format=$3; shift 3
  echo "$GMSH -2 -format $format $* $geo -o $out"
  "$GMSH" -2 -format "$format" "$@" "$geo" -o "$out" > /dev/null
}

# Unit square, triangles, h = 1/16, 1/32, 1/64 (MSH 4.1), and h = 1/16 in MSH 2.2.
mesh square.geo square-h16.msh msh41 -setnumber h 0.0625
mesh square.geo square-h32.msh msh41 -setnumber h 0.03125
mesh square.geo square-h64.msh msh41 -setnumber h 0.015625
mesh square.geo square-h16-v22.msh msh22 -setnumber h 0.0625
# Unit square, quadrilaterals (Blossom recombination of the triangle mesh), h = 1/16, 1/32.
mesh square.geo square-quad-h16.msh msh41 -setnumber h 0.0625 -setnumber quads 1
mesh square.geo square-quad-h32.msh msh41 -setnumber h 0.03125 -setnumber quads 1
# Disk, centre (0.5, 0.5), radius 0.5, h = 1/32 (MSH 4.1) and h = 1/16 (MSH 2.2).
mesh disk.geo disk-h32.msh msh41 -setnumber h 0.03125
mesh disk.geo disk-h16-v22.msh msh22 -setnumber h 0.0625
# L-shape [0,1]^2 minus [0.5,1]^2, h = 1/32.
mesh lshape.geo lshape-h32.msh msh41 -setnumber h 0.03125
