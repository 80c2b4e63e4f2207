// ffi/shim.h declares the whole C ABI: this test holds it to the two other places that spell it out.
// (1) ffi/ffi.ts's symbol table: every symbol is declared with the same parameter count and Deno FFI
// types that fit the C types, every declaration is loaded, and exactly the CUDA-only block's entries are
// optional. (2) The extern "C" definitions in ffi/*.cpp: the compiler checks shim.cpp and conv_fast.cpp
// against the header on every build, but cuda.cpp compiles only against a CUDA libtorch, so the
// definitions are compared here too. Needs no libtorch: it reads the sources and the symbol table.
import assert from "node:assert/strict";
import { symbols } from "../../ffi/ffi.ts";

const FFI_DIR = new URL("../../ffi/", import.meta.url);
/** The line that opens shim.h's CUDA-only block. */
const CUDA_MARKER = /^\/\/ ==== CUDA-only/m;

/** One C function: its result and parameter types, normalized (`const int64_t*`, typedefs expanded). */
interface CFunction {
  name: string;
  result: string;
  params: string[];
  /** As written (whitespace collapsed), for messages. */
  text: string;
}

/** Blanks comments and string/char literal contents, keeping everything else in place. */
function stripCommentsAndStrings(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2) + 1;
      out += " ";
    } else if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
      out += c + c;
    } else {
      out += c;
    }
  }
  return out;
}

const TYPEDEFS: Record<string, string> = { tensor: "void*", cuda_graph: "void*", dist_group: "void*" };

/** `const int64_t* dims` -> `const int64_t*`; `tensor a` -> `void*`; `void` alone -> no parameter. */
function normalizeType(declaration: string): string {
  const tokens = declaration.replace(/\*/g, " * ").trim().split(/\s+/).filter(Boolean);
  const last = tokens.at(-1);
  if (tokens.length > 1 && last !== "*" && /^\w+$/.test(last!)) tokens.pop(); // the parameter's name
  return tokens.map((t) => TYPEDEFS[t] ?? t).join(" ").replace(/\s*\*/g, "*");
}

function parseSignature(name: string, result: string, params: string): CFunction {
  const list = params.trim() === "" || params.trim() === "void" ? [] : params.split(",");
  const text = `${result.trim()} ${name}(${params.trim()})`.replace(/\s+/g, " ").replace(/ \*/g, "*");
  return { name, result: normalizeType(result), params: list.map(normalizeType), text };
}

/** The declarations of shim.h, split into the always-present ones and the CUDA-only block's. */
function parseHeader(text: string): { always: CFunction[]; cudaOnly: CFunction[] } {
  const marker = text.search(CUDA_MARKER);
  assert.ok(marker > 0, `ffi/shim.h has no "// ==== CUDA-only" line opening its CUDA-only block`);
  const declarations = (part: string) =>
    [...stripCommentsAndStrings(part).matchAll(/([A-Za-z_][\w\s*]*?[\s*])(\w+)\s*\(([^()]*)\)\s*;/g)]
      .filter((m) => !/\btypedef\b/.test(m[1]!))
      .map((m) => parseSignature(m[2]!, m[1]!, m[3]!));
  return { always: declarations(text.slice(0, marker)), cudaOnly: declarations(text.slice(marker)) };
}

/** The functions a .cpp file defines inside its `extern "C" { ... }` blocks (UNARY(name, expr) included). */
function parseDefinitions(text: string): CFunction[] {
  const code = stripCommentsAndStrings(text);
  const found: CFunction[] = [];
  for (const block of code.matchAll(/extern\s*""\s*\{/g)) {
    let depth = 0;
    let pending = "";
    for (let i = block.index! + block[0].length; i < code.length; i++) {
      const c = code[i]!;
      if (c === "{" && depth++ === 0) {
        for (const m of pending.matchAll(/\bUNARY\(\s*(\w+)\s*,/g)) {
          found.push(parseSignature(m[1]!, "tensor", "tensor a"));
        }
        const m = pending.match(/([A-Za-z_][\w\s*]*?[\s*])(\w+)\s*\(([^()]*)\)\s*$/);
        if (m) found.push(parseSignature(m[2]!, m[1]!, m[3]!));
        pending = "";
      } else if (c === "}") {
        if (depth-- === 0) break; // the end of the extern "C" block
      } else if (depth === 0) {
        pending += c;
      }
    }
  }
  return found;
}

/** The Deno FFI types a C type may be loaded as (for a parameter, or a result when `result`). */
function ffiTypesFor(cType: string, result: boolean): readonly string[] {
  if (cType.endsWith("*")) return result ? ["pointer", "buffer"] : ["pointer", "buffer", "function"];
  const base = cType.replace(/^const /, "");
  const scalar: Record<string, readonly string[]> = {
    void: result ? ["void"] : [],
    bool: ["bool", "u8"],
    int8_t: ["i8"],
    uint8_t: ["u8", "bool"],
    int16_t: ["i16"],
    uint16_t: ["u16"],
    int: ["i32"],
    int32_t: ["i32"],
    uint32_t: ["u32"],
    int64_t: ["i64"],
    uint64_t: ["u64"],
    size_t: ["usize"],
    float: ["f32"],
    double: ["f64"],
  };
  return scalar[base] ?? [];
}

/** What is wrong between shim.h's declaration and ffi.ts's entry for one symbol; empty when they agree. */
function compare(c: CFunction, ffi: Deno.ForeignFunction, optional: boolean): string[] {
  const problems: string[] = [];
  const where = `${c.name}: shim.h declares ${c.text}`;
  if (c.params.length !== ffi.parameters.length) {
    problems.push(
      `${where} with ${c.params.length} parameters, but ffi/ffi.ts loads it with ${ffi.parameters.length}`,
    );
  } else {
    c.params.forEach((cType, i) => {
      const allowed = ffiTypesFor(cType, false);
      const got = String(ffi.parameters[i]);
      if (!allowed.includes(got)) {
        problems.push(
          `${where}, but ffi/ffi.ts loads parameter ${i + 1} (${cType}) as "${got}"; expected ${
            allowed.map((t) => `"${t}"`).join(" or ") || "a C type the test knows (add it to ffiTypesFor)"
          }`,
        );
      }
    });
  }
  const allowed = ffiTypesFor(c.result, true);
  if (!allowed.includes(String(ffi.result))) {
    problems.push(`${where}, but ffi/ffi.ts loads its result as "${ffi.result}"; expected "${allowed[0]}"`);
  }
  if ((ffi.optional ?? false) !== optional) {
    problems.push(
      optional
        ? `${c.name}: shim.h declares it in the CUDA-only block, but ffi/ffi.ts does not mark it optional: true`
        : `${c.name}: ffi/ffi.ts marks it optional: true, but shim.h declares it outside the CUDA-only block`,
    );
  }
  return problems;
}

const header = parseHeader(await Deno.readTextFile(new URL("shim.h", FFI_DIR)));

Deno.test("shim.h declares every ffi/ffi.ts symbol with matching parameters, and nothing else", () => {
  const declared = new Map<string, { c: CFunction; optional: boolean }>();
  for (const c of header.always) declared.set(c.name, { c, optional: false });
  for (const c of header.cudaOnly) declared.set(c.name, { c, optional: true });
  const table: Record<string, Deno.ForeignFunction> = symbols;
  const problems: string[] = [];
  for (const [name, ffi] of Object.entries(table)) {
    const entry = declared.get(name);
    if (entry === undefined) {
      problems.push(`${name}: ffi/ffi.ts loads it, but ffi/shim.h does not declare it`);
    } else problems.push(...compare(entry.c, ffi, entry.optional));
  }
  for (const name of declared.keys()) {
    if (!(name in table)) problems.push(`${name}: ffi/shim.h declares it, but ffi/ffi.ts does not load it`);
  }
  assert.deepEqual(problems, [], `shim.h and ffi/ffi.ts disagree:\n${problems.join("\n")}`);
  assert.ok(declared.size > 100, `parsed only ${declared.size} declarations from ffi/shim.h`);
});

Deno.test('shim.h matches every extern "C" definition in ffi/*.cpp, cuda.cpp\'s in its CUDA-only block', async () => {
  const declared = new Map<string, CFunction>();
  for (const c of [...header.always, ...header.cudaOnly]) declared.set(c.name, c);
  const cudaOnly = new Set(header.cudaOnly.map((c) => c.name));
  const problems: string[] = [];
  const defined = new Set<string>();
  for (const file of ["shim.cpp", "conv_fast.cpp", "diff_augment.cpp", "dist.cpp", "cuda.cpp"]) {
    const definitions = parseDefinitions(await Deno.readTextFile(new URL(file, FFI_DIR)));
    assert.ok(definitions.length > 0, `found no extern "C" definitions in ffi/${file}`);
    for (const d of definitions) {
      defined.add(d.name);
      const c = declared.get(d.name);
      const signature = (f: CFunction) => `${f.result} (${f.params.join(", ")})`;
      if (c === undefined) {
        problems.push(`${d.name}: ffi/${file} defines it, but ffi/shim.h does not declare it`);
      } else if (signature(c) !== signature(d)) {
        problems.push(`${d.name}: ffi/${file} defines ${d.text}, but ffi/shim.h declares ${c.text}`);
      } else if (cudaOnly.has(d.name) !== (file === "cuda.cpp")) {
        problems.push(
          `${d.name}: defined in ffi/${file}, so it belongs ${file === "cuda.cpp" ? "in" : "outside"} ` +
            "shim.h's CUDA-only block",
        );
      }
    }
  }
  for (const name of declared.keys()) {
    if (!defined.has(name)) problems.push(`${name}: ffi/shim.h declares it, but no ffi/*.cpp defines it`);
  }
  assert.deepEqual(problems, [], `shim.h and the shim's definitions disagree:\n${problems.join("\n")}`);
});
