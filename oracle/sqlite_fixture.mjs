#!/usr/bin/env node
// Shrink a database the real gateway left, for a committed fixture (Node 24's
// node:sqlite, SQLite >= 3.43: the schemas' CHECKs call octet_length()).
// Run only on a copy, with no gateway running on it.
//
//   node oracle/sqlite_fixture.mjs trim-state DB   state DB: delete the rows
//        unrelated to sessions (device identity, config-revision keys, audit
//        and diagnostic events), then checkpoint into the main file
//   node oracle/sqlite_fixture.mjs checkpoint DB   checkpoint into the main file
//
// Both end with `PRAGMA wal_checkpoint(TRUNCATE)` and a close, which leaves
// the database in one file (SQLite removes the empty -wal and the -shm).
import { DatabaseSync } from "node:sqlite";

const [cmd, path] = process.argv.slice(2);
if (!["trim-state", "checkpoint"].includes(cmd) || !path) {
  console.error("usage: sqlite_fixture.mjs trim-state|checkpoint DB");
  process.exit(2);
}
const db = new DatabaseSync(path);
db.exec("PRAGMA busy_timeout = 5000");
if (cmd === "trim-state") {
  const tables = new Set(db.prepare("select name from sqlite_master where type='table'").all().map((r) => r.name));
  db.exec("BEGIN IMMEDIATE");
  for (const t of ["device_identities", "config_revision_keys", "audit_events", "diagnostic_events"]) {
    if (tables.has(t)) {
      const { changes } = db.prepare(`delete from "${t}"`).run();
      console.log(`${t}: deleted ${changes}`);
    }
  }
  db.exec("COMMIT");
}
const ck = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").get();
console.log(`checkpoint: ${JSON.stringify(ck)}`);
const ok = db.prepare("PRAGMA integrity_check").get();
console.log(`integrity_check: ${JSON.stringify(ok)}`);
db.close();
