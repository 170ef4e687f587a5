// End-to-end tests against the release build in dist/ (run `trunk build --release` first;
// `./dev test` does). Usage: node tests/e2e/run.mjs   (E2E_ONLY=substring runs a subset)
import { a11yTests } from './a11y.mjs';
import { launch, run, serve } from './lib.mjs';
import { drillTests } from './drills.mjs';
import { explorerTests } from './explorer.mjs';
import { featuresTests } from './features.mjs';
import { hostingTests } from './hosting.mjs';
import { saeTests } from './sae.mjs';
import { schemaTests } from './schema.mjs';
import { tourTests } from './tour.mjs';
import { shellTests } from './shell.mjs';
import { zhTests } from './zh.mjs';

const { server, base } = await serve();
const gpu = await launch({ webgpu: true });
const noGpu = await launch({ webgpu: false });
const ctx = { base, gpu, noGpu };

shellTests(ctx);
explorerTests(ctx);
saeTests(ctx);
drillTests(ctx);
featuresTests(ctx);
schemaTests(ctx);
tourTests(ctx);
hostingTests(ctx);
a11yTests(ctx);
zhTests(ctx);

const failed = await run();
await gpu.close();
await noGpu.close();
server.close();
process.exit(failed ? 1 : 0);
