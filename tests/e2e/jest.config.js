const base = require('../../jest.base.js')(__dirname);
module.exports = { ...base, testMatch: ['<rootDir>/test/**/*.e2e.spec.ts', '<rootDir>/test/cross-service/**/*.spec.ts'], testTimeout: 240000 };
