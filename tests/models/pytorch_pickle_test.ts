// A PyTorch .pth/.pt (torch.save's zip or legacy pickle) passed where a safetensors file is expected is
// named for what it is, with the command that converts it (issue 17, item 12).
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSafetensors, serializeSafetensors } from "../../models/io/safetensors.ts";
import { loadStateDictFile } from "../../models/io/state_dict_file.ts";
import { python, withTempDir } from "../fixtures.ts";

Deno.test("a torch.save file given as safetensors says it is a PyTorch pickle and how to convert it", async () => {
  await withTempDir(async (dir) => {
    await python(
      dir,
      `
import torch
sd = {"main.0.weight": torch.ones(4, 2, 4, 4)}
torch.save(sd, "netG.pth")
torch.save(sd, "legacy.pt", _use_new_zipfile_serialization=False)
`,
    );
    for (const [file, format] of [["netG.pth", "zip"], ["legacy.pt", "legacy"]] as const) {
      const path = join(dir, file);
      await assert.rejects(() => loadStateDictFile(path), (error: Error) => {
        assert.match(error.message, new RegExp(`^Cannot read safetensors "${path}": it is a PyTorch pickle`));
        assert.match(error.message, new RegExp(`torch\\.save, ${format} format`));
        const stem = file.replace(/\.\w+$/, "");
        assert.ok(
          error.message.includes(
            `save_file(torch.load('${file}', map_location='cpu'), '${stem}.safetensors')`,
          ),
          error.message,
        );
        assert.doesNotMatch(error.message, /header length/);
        return true;
      });
    }
  });
});

Deno.test("a valid safetensors file whose first bytes look like a pickle is still read", () => {
  // a 640-byte header (0x280) starts the file with 0x80 0x02, a pickle's first two bytes
  let bytes: Uint8Array = new Uint8Array(0);
  for (let pad = 500; pad < 640; pad++) {
    bytes = serializeSafetensors({ x: { dtype: "U8", shape: [1], data: new Uint8Array(1) } }, {
      pad: "a".repeat(pad),
    });
    if (new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === 0x280) break;
  }
  assert.deepEqual([bytes[0], bytes[1]], [0x80, 0x02]);
  const { tensors } = parseSafetensors(bytes, "x.safetensors");
  assert.deepEqual(tensors.x?.shape, [1]);
});
