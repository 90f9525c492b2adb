/**
 * Applies a unified diff (as `diff -u` writes it) to one file's text. Each
 * hunk's old lines must be found exactly, nearest to the line the hunk
 * names, or it throws saying which hunk: a guide whose diff no longer fits
 * the code fails instead of writing something else.
 */
export function applyUnifiedDiff(text: string, diff: string, file: string): string {
  const lines = text.split("\n");
  const hunks = diff.split(/^(?=@@ )/m).filter((part) => part.startsWith("@@ "));
  if (hunks.length === 0) throw new Error(`${file}: the diff has no hunk`);
  let shift = 0;
  for (const hunk of hunks) {
    const [header, ...body] = hunk.replace(/\n$/, "").split("\n");
    const at = Number(/^@@ -(\d+)/.exec(header!)?.[1]);
    const before: string[] = [];
    const after: string[] = [];
    for (const line of body) {
      const mark = line[0];
      const rest = line.slice(1);
      if (mark === " " || line === "") {
        before.push(rest);
        after.push(rest);
      } else if (mark === "-") before.push(rest);
      else if (mark === "+") after.push(rest);
      else if (mark !== "\\") throw new Error(`${file}: a diff line starts with neither " ", "-" nor "+": ${line}`);
    }
    const start = find(lines, before, at - 1 + shift);
    if (start < 0) throw new Error(`${file}: the hunk ${header} does not fit the file`);
    lines.splice(start, before.length, ...after);
    shift += after.length - before.length;
  }
  return lines.join("\n");
}

function find(lines: string[], wanted: string[], near: number): number {
  const fits = (start: number) => wanted.every((line, i) => lines[start + i] === line);
  for (let distance = 0; distance <= lines.length; distance++) {
    for (const start of [near - distance, near + distance]) {
      if (start >= 0 && start + wanted.length <= lines.length && fits(start)) return start;
    }
  }
  return -1;
}
