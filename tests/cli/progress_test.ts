// The progress line fits the terminal: a line as wide as the terminal wraps, and the redraw's erase then
// clears only its last row, leaving a new line behind at every redraw.

import assert from "node:assert/strict";
import { fitLine, ProgressBar } from "../../tasks/cli/progress.ts";

Deno.test("fitLine cuts a progress line to one character less than the terminal's width", () => {
  const bar = new ProgressBar(750, 0);
  const line = bar.line(120, "Loss_D 1.234 Loss_G 5.678");
  assert.ok(line.length > 79, `the test needs a long line, got ${line.length} characters`);
  for (const columns of [80, 40, 12]) {
    const fitted = fitLine(line, columns);
    assert.equal(fitted.length, columns - 1);
    assert.ok(fitted.endsWith("…"));
  }
  assert.equal(fitLine("short", 80), "short");
});
