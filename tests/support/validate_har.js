// validate_har.js FILE... — exits 0 when every FILE is a valid HAR 1.2 log by Debian's
// node-har-validator (the JSON schemas of node-har-schema), else prints the errors and exits 1.
// Run with NODE_PATH=/usr/share/nodejs (where Debian installs har-validator and ajv).
'use strict';
const fs = require('fs');
const validate = require('har-validator');

(async () => {
  let failed = false;
  for (const file of process.argv.slice(2)) {
    try {
      await validate.har(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch (error) {
      failed = true;
      console.error(file + ': ' + JSON.stringify(error.errors || error.message));
    }
  }
  process.exit(failed ? 1 : 0);
})();
