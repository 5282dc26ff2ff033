// plotly.js with the trace types the dashboard draws, and nothing else (assets/vendor/README.md).
var Plotly = require('plotly.js/lib/core'); // scatter is part of the core

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/heatmap')]);

module.exports = Plotly;
