// Files and subfolders that cannot be read (issue 17, items 8 and 12): an image folder load skips them
// with a warning, and the decode cache does not remember a file skipped for "permission denied", so it
// is read once its permissions are fixed. Root reads everything, so as root the loads that must meet
// "permission denied" run in a child process without the capabilities that bypass file permissions.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadImageFolder } from "../../tasks/data/image_folder.ts";
import { makeImageFolder, withTempDir } from "../fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const IMAGE_FOLDER = new URL("../../tasks/data/image_folder.ts", import.meta.url).href;
/** The capabilities that let root read and list whatever the permission bits say. */
const BYPASS = "-dac_override,-dac_read_search";

/** Loads `dir` at 8x8 with the decode cache in `cacheDir`, in a process that file permissions apply to. */
async function loadWithoutPrivileges(dir: string, cacheDir: string) {
  const script = `import { loadImageFolder } from "${IMAGE_FOLDER}";
const dataset = await loadImageFolder(${JSON.stringify(dir)}, { size: 8, cacheDir: ${
    JSON.stringify(cacheDir)
  } });
console.log(dataset.count);`;
  const deno = [Deno.execPath(), "eval", script];
  const [command, ...args] = Deno.uid() === 0
    ? ["setpriv", `--inh-caps=${BYPASS}`, `--bounding-set=${BYPASS}`, ...deno]
    : deno;
  const out = await new Deno.Command(command!, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, count: Number(text(out.stdout).trim()), stderr: text(out.stderr) };
}

/** Runs `fn` with console.warn silenced. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

Deno.test("a file skipped for 'permission denied' is read on the next load once it is readable", async () => {
  const dir = await makeImageFolder(3, { prefix: "dcgan-unreadable-" });
  try {
    await withTempDir(async (cacheDir) => {
      const locked = join(dir, "img_1.png");
      await Deno.chmod(locked, 0o000);
      const first = await loadWithoutPrivileges(dir, cacheDir);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.count, 2, "the unreadable file is skipped");
      assert.match(first.stderr, /Skipped 1 of 3 image files.*img_1\.png \(Permission denied/);
      await Deno.chmod(locked, 0o644); // same path, size and mtime: the cache key is unchanged
      const second = await quietly(() => loadImageFolder(dir, { size: 8, cacheDir }));
      assert.equal(second.count, 3, "the file fixed since the last load is read, not skipped from the cache");
      assert.deepEqual(second.skipped, []);
      // a complete load is cached as before
      assert.equal([...Deno.readDirSync(cacheDir)].filter((e) => e.name.endsWith(".ganu8")).length, 1);
    });
  } finally {
    await Deno.chmod(join(dir, "img_1.png"), 0o644).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreadable subfolder of an image folder is skipped with a warning, not fatal", async () => {
  const dir = await makeImageFolder(0, { prefix: "dcgan-unreadable-" });
  try {
    for (const sub of ["cats", "dogs"]) {
      await Deno.mkdir(join(dir, sub));
      const source = await makeImageFolder(2);
      for (const name of ["img_0.png", "img_1.png"]) {
        await Deno.rename(join(source, name), join(dir, sub, name));
      }
      await Deno.remove(source);
    }
    await Deno.chmod(join(dir, "dogs"), 0o000);
    await withTempDir(async (cacheDir) => {
      const { code, count, stderr } = await loadWithoutPrivileges(dir, cacheDir);
      assert.equal(code, 0, stderr);
      assert.equal(count, 2, "the readable subfolder's images");
      assert.match(
        stderr,
        /Skipped 1 unreadable entry in folder ".*", and the images in them: dogs \(Permission denied/,
      );
      assert.match(stderr, /fix their permissions/);
    });
  } finally {
    await Deno.chmod(join(dir, "dogs"), 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
