// Serve a built page (argv[2]) from 127.0.0.1 and run it in headless
// Chromium, with the wasm tests' helpers: the README's bundler quickstart
// must print a snowflake of node 3, a UUID v7, a NanoID and an ObjectId.
import { pathToFileURL } from 'node:url';
import { launch, runPage, serve } from '../../bindings-wasm/test/browser.helpers.mjs';

const server = await serve([['/', pathToFileURL(`${process.argv[2]}/`)]]);
const browser = await launch();
try {
  const text = await runPage(browser, `${server.base}/`);
  if (!/^snowflake \d+ node=3 at \S+\nuuid v7 [0-9a-f-]{36}\nnanoid [\w-]{21}\nobjectid [0-9a-f]{24} at \S+$/.test(text)) {
    throw new Error(`unexpected page output: ${text}`);
  }
  console.log('chromium ok');
} finally {
  await browser.close();
  server.close();
}
