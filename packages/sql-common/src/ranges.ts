// Date ranges are stored as epoch milliseconds; open ends (±Infinity) become large finite stand-ins.

/** Large finite stand-ins for open date range ends (epoch ms), stored in numeric columns. */
export const MIN_MS = -8.64e15;
export const MAX_MS = 8.64e15;
export const clampMs = (v: number) => (v === -Infinity ? MIN_MS : v === Infinity ? MAX_MS : v);
