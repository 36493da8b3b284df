#!/usr/bin/env node
// `subctl version`, `--version` and help are answered without the CLI bundle, because scripts call
// them often and --help is much of what a new user types; the output is the same as oclif's path.
// This file is CommonJS because Node starts a CommonJS entry faster than an ES module one.
'use strict'
const {pathToFileURL} = require('node:url')
const start = require('../dist/start.cjs')

const args = process.argv.slice(2)
const end = args.includes('--') ? args.indexOf('--') : args.length
const wantsHelp = args.slice(0, end).some((arg) => arg === '--help' || arg === '-h')
const binUrl = pathToFileURL(__filename).href
if (args.length === 1 && (args[0] === 'version' || args[0] === '--version')) {
  process.stdout.write(args[0] === 'version' ? `subctl version: ${start.VERSION}\n` : `subctl version ${start.VERSION}\n`)
} else if (!(wantsHelp && start.printHelp(args, binUrl))) {
  start.runCli(args, binUrl)
}
