'use strict';
// The empty comparison extension: loaded and activated exactly like Local Model Router
// (onStartupFinished, CommonJS main, installed from a .vsix), but activate() does nothing.
Object.defineProperty(exports, '__esModule', { value: true });
exports.activate = function activate() {};
exports.deactivate = function deactivate() {};
