/**
 * `streampath init <dir>`: a new app from the starter in this package
 * (starter/): a schema with a host, a read, a write and a view service, the
 * host serving the page over HTTPS with a development certificate, the
 * worker, the window, an esbuild build and a test. `starterFiles` is the
 * pure part (what would be written); `init` writes them into a new folder.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { VERSION } from "./version.js";

export interface StarterOptions {
  /** The app's package name. */
  name: string;
  /** How the app's package.json asks for streampath. Default `^<this version>`. */
  streampath?: string;
}

export interface StarterFile {
  path: string;
  content: string;
}

// starter/ and package.json sit one level above generator/ and two above dist/generator/.
const PACKAGE_ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../" : "../", import.meta.url));
const STARTER = path.join(PACKAGE_ROOT, "starter");
/** npm never packs a file named .gitignore, so the starter keeps it under another name. */
const RENAMED: Record<string, string> = { gitignore: ".gitignore" };
/** The app's tools, at the versions streampath itself is built and tested with. */
const TOOLS = ["@types/node", "esbuild", "tsx", "typescript"];

/** What a valid npm package name is (lowercase, URL-safe, at most 214 characters). */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

export function starterFiles(options: StarterOptions): StarterFile[] {
  if (!PACKAGE_NAME.test(options.name) || options.name.length > 214) {
    throw new Error(`"${options.name}" cannot be a package name: use lowercase letters, digits, "-", "." or "_"`);
  }
  const ours = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  const manifest = {
    name: options.name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      dev: "tsx build.ts --watch",
      build: "tsx build.ts && tsc",
      start: "tsx src/host.ts",
      test: "npm run generate && node --import tsx --test test/notes.test.ts",
      generate: "streampath generate schema --out src/gen",
    },
    dependencies: { streampath: options.streampath ?? `^${VERSION}` },
    devDependencies: Object.fromEntries(TOOLS.map((name) => [name, `^${ours.devDependencies[name]}`])),
  };
  const files: StarterFile[] = [{ path: "package.json", content: JSON.stringify(manifest, null, 2) + "\n" }];
  for (const file of listFiles(STARTER)) {
    files.push({ path: RENAMED[file] ?? file, content: readFileSync(path.join(STARTER, file), "utf8") });
  }
  return files;
}

function listFiles(root: string, under = ""): string[] {
  return readdirSync(path.join(root, under), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = under ? `${under}/${entry.name}` : entry.name;
      return entry.isDirectory() ? listFiles(root, relative) : [relative];
    })
    .sort();
}

export interface InitOptions {
  /** The new app's folder: must not exist, or be empty. */
  dir: string;
  /** The package name. Default: the folder's name. */
  name?: string;
  /**
   * How the app asks for streampath. A path to a packed `.tgz` or a
   * checkout is written as `file:` relative to the app (to try an unpublished build).
   */
  streampath?: string;
}

/** Writes the starter into `dir`; returns the files written, relative to it. */
export function init(options: InitOptions): string[] {
  const dir = path.resolve(options.dir);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new Error(`${options.dir} is not empty: give a new folder's name`);
  }
  let spec = options.streampath;
  if (spec !== undefined && !spec.startsWith("file:") && existsSync(spec)) {
    spec = "file:" + path.relative(dir, path.resolve(spec)).split(path.sep).join("/");
  }
  const files = starterFiles({ name: options.name ?? path.basename(dir).toLowerCase(), ...(spec === undefined ? {} : { streampath: spec }) });
  for (const file of files) {
    const target = path.join(dir, file.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
  return files.map((file) => file.path);
}
