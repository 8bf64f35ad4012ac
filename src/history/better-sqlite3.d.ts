// better-sqlite3 ships no types: src/history/sqlite.ts types the few calls fabric makes.
declare module 'better-sqlite3' {
  const Database: unknown;
  export default Database;
}
