/** Write and read types (Alluxio's names), kept free of gRPC so the CLI can load them cheaply. */
export type WriteType = 'MUST_CACHE' | 'CACHE_THROUGH' | 'THROUGH' | 'ASYNC_THROUGH';
export type ReadType = 'NO_CACHE' | 'CACHE' | 'CACHE_PROMOTE';
export const WRITE_TYPES: readonly WriteType[] = ['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH'];
/** In runTests' order (Alluxio's). */
export const READ_TYPES: readonly ReadType[] = ['CACHE_PROMOTE', 'CACHE', 'NO_CACHE'];
