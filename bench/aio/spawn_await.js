// spawn_await.js: the stretch twin of spawn_await.valk: node awaiting an async call 200,000 times.
async function add(a, b) { return a + b; }
(async () => {
  let acc = 0;
  for (let n = 200000; n > 0; n--) acc += await add(n, 1);
  console.log(acc);
})();
