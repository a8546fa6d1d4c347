// Renders native.d.ts (the addon's TypeScript declarations) from the intermediate type
// definitions napi-derive writes while cargo compiles rust/node (into $NAPI_TYPE_DEF_TMP_FOLDER,
// which mk/node.mk sets for every cargo build). With --check it fails when the committed
// native.d.ts differs from what the Rust code declares, as `make check-header` does for C.
//
//   node scripts/typegen.mjs <typedef-dir>           write native.d.ts
//   node scripts/typegen.mjs <typedef-dir> --check   compare only
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { generateTypeDef } from '@napi-rs/cli'

const [typeDefDir, flag] = process.argv.slice(2)
if (!typeDefDir) {
  console.error('usage: typegen.mjs <typedef-dir> [--check]')
  process.exit(2)
}
const here = dirname(dirname(fileURLToPath(import.meta.url)))
const target = join(here, 'native.d.ts')
const header = '/* Generated from rust/node by napi-derive (node/scripts/typegen.mjs): do not edit. */\n'
const { dts } = await generateTypeDef({ typeDefDir, cwd: here, noDtsHeader: true })
const text = header + dts
if (flag === '--check') {
  const committed = await readFile(target, 'utf8').catch(() => '')
  if (committed !== text) {
    console.error('node/native.d.ts is out of date with rust/node: run `make node-types` and commit it')
    process.exit(1)
  }
  console.log('ok   node/native.d.ts matches rust/node')
} else {
  await writeFile(target, text)
  console.log(`wrote ${target}`)
}
