/**
 * Seeded pseudo-random numbers: mulberry32 (a 32-bit state generator by Tommy Ettinger),
 * uniform on [0, 1). Every random draw in the project goes through a seeded generator so a run is
 * reproducible from its configuration.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
