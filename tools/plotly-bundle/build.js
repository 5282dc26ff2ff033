// The settings of plotly.js's own esbuild-config.js (its official bundles), minified, with its
// banner: only the entry point differs. Run with `npm ci && npm run build`.
const esbuild = require('esbuild');
const path = require('path');
const { version } = require('plotly.js/package.json');

const out = path.join(__dirname, '..', '..', 'assets', 'vendor', `plotly-dashboard-${version}.min.js`);
esbuild.buildSync({
    entryPoints: [path.join(__dirname, 'entry.js')],
    outfile: out,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    target: 'es2016',
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    // plotly.js's registry imports a map library's stylesheet; no map is drawn here
    loader: { '.css': 'empty' },
    banner: { js: `/** plotly.js (scatter, bar, heatmap - minified) v${version}, MIT licence, built by tools/plotly-bundle */` },
    logLevel: 'info',
});
