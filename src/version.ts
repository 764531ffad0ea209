// The one place the version is read: package.json. A static JSON import, so that esbuild inlines
// it into the self-contained action bundle (action/index.cjs); dist/ and tsx read the file itself.
import packageJson from '../package.json' with { type: 'json' };

export const VERSION: string = packageJson.version;
