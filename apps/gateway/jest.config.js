const path = require('path');
const base = require('../../jest.base.js')(__dirname);
// fast-check is installed for tests/e2e only; until it is a devDependency here, resolve it from there.
module.exports = {
  ...base,
  moduleNameMapper: { ...base.moduleNameMapper, '^fast-check$': path.join(__dirname, '../../tests/e2e/node_modules/fast-check/lib/cjs/fast-check.js') },
};
