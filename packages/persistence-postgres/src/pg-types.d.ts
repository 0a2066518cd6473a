// The part of pg's API this package uses directly (pg ships no type declarations).
declare module 'pg' {
  const pg: { types: { getTypeParser(oid: number, format?: string): (value: string) => unknown } };
  export default pg;
}
