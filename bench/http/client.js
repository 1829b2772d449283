// client.js: node's http2 client in `make bench-http` (bench/http/run.sh), the same load as
// client.valk: N GET requests to URL with C in flight on one connection.
//   node bench/http/client.js URL N C      prints the number of 200 answers
const http2 = require("http2");
const [url, n, c] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const session = http2.connect(url);
const path = new URL(url).pathname;
let started = 0, done = 0, ok = 0;
function one() {
  if (started >= n) return;
  started++;
  const req = session.request({ ":path": path });
  req.on("response", (h) => { if (h[":status"] === 200) ok++; });
  req.resume();
  req.on("end", () => {
    if (++done === n) { console.log(ok); session.close(); } else one();
  });
}
for (let i = 0; i < c; i++) one();
