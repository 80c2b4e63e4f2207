// examples/sample_grids.ipynb runs as Deno's Jupyter kernel runs it, without a kernel: its code cells in
// order, each cell's last expression handed to Deno.jupyter.display (faked: it formats the value as the
// kernel's format() does and keeps the MIME bundle), so the pictures the notebook shows can be checked.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { Image } from "imagescript";
import { runDeno } from "./fixtures.ts";

const ROOT = new URL("../", import.meta.url).pathname;

const FAKE_KERNEL = `
const shown = [];
Deno.jupyter = {
  display: async (value) => void shown.push(await value[Symbol.for("Jupyter.display")]()),
};
globalThis.addEventListener("unload", () => Deno.writeTextFileSync(Deno.args[0], JSON.stringify(shown)));
`;

/** A cell as the kernel evaluates it: a last line that is an expression statement gets displayed. */
function asKernelCell(source: string): string {
  const lines = source.trimEnd().split("\n");
  const last = lines.at(-1)!;
  if (!/^(const|let|import|await|for|if|\}|\/\/)/.test(last)) {
    lines[lines.length - 1] = `await Deno.jupyter.display(${last.replace(/;$/, "")});`;
  }
  return lines.join("\n");
}

Deno.test("examples/sample_grids.ipynb shows the pretrained generator's grid and a latent walk", async () => {
  const notebook = JSON.parse(await Deno.readTextFile(join(ROOT, "examples/sample_grids.ipynb")));
  assert.equal(notebook.metadata.kernelspec.name, "deno");
  const cells: string[] = notebook.cells
    .filter((cell: { cell_type: string }) => cell.cell_type === "code")
    .map((cell: { source: string[] }) => asKernelCell(cell.source.join("")));
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "notebook.ts"), [FAKE_KERNEL, ...cells].join("\n"));
    const imports = { "@gan/dcgan": join(ROOT, "mod.ts"), imagescript: "npm:imagescript@1.3.1" };
    await Deno.writeTextFile(join(dir, "map.json"), JSON.stringify({ imports }));
    const out = join(dir, "shown.json");
    const args = [
      "run",
      "-A",
      "--no-check",
      "--import-map",
      join(dir, "map.json"),
      join(dir, "notebook.ts"),
      out,
    ];
    const { code, stderr } = await runDeno(args, { cwd: dir });
    assert.equal(code, 0, stderr);
    const shown: Record<string, string>[] = JSON.parse(await Deno.readTextFile(out));
    assert.equal(shown.length, 2, "the grid cell and the walk cell each show one picture");
    const [grid, walk] = await Promise.all(
      shown.map((bundle) => Image.decode(Buffer.from(bundle["image/png"]!, "base64"))),
    );
    assert.deepEqual([grid!.width, grid!.height], [8 * 66 + 2, 8 * 66 + 2], "64 samples of 64x64, 8 a row");
    assert.deepEqual([walk!.width, walk!.height], [8 * 66 + 2, 66 + 2], "one row of 8 steps");
    // samples differ from one another: the grid's first two tiles are not one picture
    const row = (y: number, x: number) =>
      grid!.bitmap.slice((y * grid!.width + x) * 4, (y * grid!.width + x + 64) * 4);
    const rows = Array.from({ length: 64 }, (_, k) => k + 2);
    assert.ok(rows.some((y) => row(y, 2).join() !== row(y, 68).join()), "the first two samples differ");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
