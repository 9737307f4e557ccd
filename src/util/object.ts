/**
 * Small object helpers shared by every layer (this folder imports nothing from the project).
 */

/** A copy of `o` without the keys whose value is undefined (so a spread does not erase defaults). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
