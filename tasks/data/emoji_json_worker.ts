/**
 * Reads the emoji package's emoji.json and categories.json for emoji.ts, in a worker: a worker's imports
 * are not part of the module graph of the program that starts it, so Deno fetches the 70 MB npm package
 * only when the emoji data set is loaded, not when a program that could load it starts. (A computed
 * `import()` does the same, but JSR cannot analyse it and warns on publish.)
 *
 * @module
 */

import emoji from "emoji-datasource-twitter/emoji.json" with { type: "json" };
import categories from "emoji-datasource-twitter/categories.json" with { type: "json" };

(self as unknown as Worker).postMessage({ "emoji.json": emoji, "categories.json": categories });
