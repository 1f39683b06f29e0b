// A small RFC 4180 CSV reader that remembers where each record starts, so a manifest error can
// name its line: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF line
// ends; a UTF-8 byte-order mark is ignored; blank lines are skipped.

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quotedAt = 0;
    let endOfRecord = false;
    while (!endOfRecord) {
      if (i >= text.length) {
        fields.push(field);
        break;
      }
      const ch = text[i];
      if (ch === '"' && field === '' && quotedAt === 0) {
        // A quoted field: runs to the closing quote, "" is a literal quote.
        quotedAt = line;
        i++;
        for (;;) {
          if (i >= text.length) throw new CsvSyntaxError(quotedAt, 'a quoted field is never closed (missing ")');
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new CsvSyntaxError(line, `unexpected text after a closing quote: ${JSON.stringify(text.slice(i, i + 20))}`);
        }
        continue;
      }
      if (ch === ',') {
        fields.push(field);
        field = '';
        quotedAt = 0;
        i++;
      } else if (ch === '\n' || ch === '\r') {
        fields.push(field);
        i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        endOfRecord = true;
      } else {
        if (ch === '"') throw new CsvSyntaxError(line, 'a quote inside an unquoted field: quote the whole field and double the inner quote ("")');
        field += ch;
        i++;
      }
    }
    if (!(fields.length === 1 && fields[0].trim() === '')) records.push({ line: start, fields });
  }
  return records;
}
