import postgres from "postgres";
import type { Sink, Value } from "./sink.ts";

/**
 * PostgreSQL: `COPY … FROM STDIN` (text format) into the dataset's schema. Foreign keys stay
 * enforced (PostgreSQL checks them per row, which costs less than checking them all afterwards);
 * secondary indexes are dropped for the load and re-created from their own definitions.
 */
export function postgresSink(url: string, schema: string): Sink {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  let dropped: string[] = [];
  return {
    async dropIndexes(tables) {
      const rows = await sql<{ indexname: string; indexdef: string }[]>`
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = ${schema} AND i.tablename = ANY(${tables as string[]})
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = ${schema}::regnamespace)`;
      for (const row of rows) await sql.unsafe(`DROP INDEX "${schema}"."${row.indexname}"`);
      dropped = rows.map((r) => r.indexdef);
    },
    async write(table, columns, rows) {
      const stream = await sql.unsafe(`COPY "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) FROM STDIN`).writable();
      let total = 0;
      let chunk = "";
      const send = async () => {
        if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve));
        chunk = "";
      };
      for (const row of rows) {
        chunk += row.map(copyText).join("\t") + "\n";
        total++;
        if (chunk.length > 1 << 20) await send();
      }
      if (chunk.length > 0) await send();
      await new Promise<void>((resolve, reject) => {
        stream.once("error", reject);
        stream.once("finish", resolve);
        stream.end();
      });
      return total;
    },
    async restoreIndexes() {
      for (const definition of dropped) await sql.unsafe(definition);
      dropped = [];
    },
    async checkForeignKeys() {
      // Enforced while loading.
    },
    async close() {
      await sql.end();
    },
  };
}

/** A value in COPY's text format: \N for null, backslash escapes for the separators. */
function copyText(value: Value): string {
  if (value === null) return "\\N";
  const text = String(value);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!) : text;
}
