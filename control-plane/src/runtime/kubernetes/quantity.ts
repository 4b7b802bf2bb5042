/** Kubernetes resource quantities ("500m", "512Mi", "10Gi", "1e3"), parsed as the API server does. */

const SUFFIXES: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The numeric value of a quantity; throws, naming `what`, when it is not one. */
export function parseQuantity(quantity: string, what = "quantity"): number {
  const match = QUANTITY.exec(quantity);
  if (!match) throw new Error(`${what}: "${quantity}" is not a Kubernetes quantity (like 500m, 512Mi, 10Gi)`);
  const [, number, suffix, exponent] = match;
  const value = Number(number) * (exponent === undefined ? (SUFFIXES[suffix ?? ""] ?? 1) : 10 ** Number(exponent));
  if (value < 0) throw new Error(`${what}: "${quantity}" is negative`);
  return value;
}

/** The larger of two quantities, as written. */
export function maxQuantity(a: string, b: string): string {
  return parseQuantity(b) > parseQuantity(a) ? b : a;
}
