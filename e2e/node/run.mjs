// The command line the client scripts share: `node <script>.mjs <scenario>`
// runs that scenario and prints its result as one JSON object on stdout,
// for the Go test to assert on.

// run runs the scenario of scenarios named by the first argument. apiError,
// if given, maps an error the scenario threw to the fields printed as
// api_error (so that the Go test reports the API's status and body), or to
// null for an error it does not know, which is thrown on.
export async function run(scenarios, apiError = () => null) {
  const name = process.argv[2];
  if (!scenarios[name]) {
    console.error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
    process.exit(2);
  }
  let result;
  try {
    result = await scenarios[name]();
  } catch (e) {
    const fields = apiError(e);
    if (!fields) {
      throw e;
    }
    result = { api_error: fields };
  }
  console.log(JSON.stringify(result));
}
