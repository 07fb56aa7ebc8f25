'use strict';
// CommonJS entry: the very same module objects as `import` (Node >= 20.19
// loads ES modules with require()), so classes compare equal across both.
module.exports = require('./index.mjs');
