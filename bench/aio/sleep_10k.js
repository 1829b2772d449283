// sleep_10k.js: the twin of sleep_10k.valk: Promise.all of 10,000 promises of setTimeout(10).
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
Promise.all(Array.from({ length: 10000 }, async () => { await sleep(10); })).then((v) => console.log(v.length));
