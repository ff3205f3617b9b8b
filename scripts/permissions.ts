/** The compiled binary's permissions, shared by the compile task and the test that proves them enough. */

/** What the binary may do: network, files, and the environment variables it reads. */
export const PERMISSIONS: string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=DAP_API_URL,DAP_CLIENT_ID,DAP_CLIENT_SECRET,DAP_REQUEST_TIMEOUT,DAP_IDLE_TIMEOUT,DAP_RETRY_BUDGET,DAP_JOB_TIMEOUT,DAP_CONNECTION_STRING,NO_PROGRESS,HTTPS_PROXY,HTTP_PROXY,NO_PROXY,https_proxy,http_proxy,no_proxy,DENO_CERT",
];
