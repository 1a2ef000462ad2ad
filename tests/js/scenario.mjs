// The Azure SDK for JavaScript against a running acrlink, as a user in Azure China would write it, pointed
// at acrlink's ARM and Entra faces. Driven by tests/e2e/test_js_sdk.py, which asserts on the JSON this
// prints (one object on stdout).
//
//   node scenario.mjs <scenario>      scenario: basics | async
//
// Environment: ACRLINK_ARM (https://127.0.0.1:PORT), AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
// AZURE_AUTHORITY_HOST (= ACRLINK_ARM), AZURE_SUBSCRIPTION_ID, NODE_EXTRA_CA_CERTS (acrlink's CA),
// ACRLINK_PREFIX (a name prefix, so reruns against one process do not collide).

import { ClientSecretCredential, EnvironmentCredential } from "@azure/identity";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { NetworkManagementClient } from "@azure/arm-network";
import { ResourceManagementClient } from "@azure/arm-resources";

const arm = process.env.ACRLINK_ARM;
const tenant = process.env.AZURE_TENANT_ID;
const subscription = process.env.AZURE_SUBSCRIPTION_ID;
const prefix = process.env.ACRLINK_PREFIX ?? "js";
// The China cloud's ARM resource: what a China user's credential asks tokens for. Pointing the clients'
// endpoint elsewhere would otherwise make them ask for "<endpoint>/.default".
const SCOPE = "https://management.chinacloudapi.cn/.default";

/** Every ARM answer the clients see: status, method, path and the tracing headers. */
const answers = [];
const recorder = {
  name: "acrlinkRecorder",
  async sendRequest(request, next) {
    const response = await next(request);
    answers.push({
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      clientRequestId: request.headers.get("x-ms-client-request-id") ?? null,
      requestId: response.headers.get("x-ms-request-id") ?? null,
      correlationId: response.headers.get("x-ms-correlation-request-id") ?? null,
      echoedClientRequestId: response.headers.get("x-ms-client-request-id") ?? null,
      asyncOperation: response.headers.get("azure-asyncoperation") ?? null,
    });
    return response;
  },
};

function credential() {
  return new ClientSecretCredential(tenant, process.env.AZURE_CLIENT_ID, process.env.AZURE_CLIENT_SECRET, {
    authorityHost: arm,
    disableInstanceDiscovery: true,
  });
}

function clients(cred) {
  const classic = {
    endpoint: arm,
    $host: arm,
    credentialScopes: [SCOPE],
    additionalPolicies: [{ policy: recorder, position: "perCall" }],
  };
  return {
    resources: new ResourceManagementClient(cred, subscription, classic),
    network: new NetworkManagementClient(cred, subscription, classic),
    acr: new ContainerRegistryManagementClient(cred, subscription, {
      endpoint: arm,
      credentials: { scopes: [SCOPE] },
      additionalPolicies: [{ policy: recorder, position: "perCall" }],
    }),
  };
}

function claims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
}

async function tokens() {
  const secret = await credential().getToken(SCOPE);
  const environment = await new EnvironmentCredential({ disableInstanceDiscovery: true }).getToken(SCOPE);
  return { clientSecret: claims(secret.token), environment: claims(environment.token) };
}

async function group(c, name) {
  return c.resources.resourceGroups.createOrUpdate(name, { location: "chinanorth2" });
}

async function registry(c, rg, name, sku = "Premium") {
  const poller = c.acr.registries.create(rg, name, { location: "chinanorth2", sku: { name: sku } });
  return await poller;
}

async function basics() {
  const c = clients(new EnvironmentCredential({ disableInstanceDiscovery: true }));
  const rg = `${prefix}-basics`;
  await group(c, rg);
  const created = await registry(c, rg, `${prefix}basics01`.replace(/-/g, ""));
  let notFound = null;
  try {
    await c.acr.registries.get(rg, "nosuchregistry01");
  } catch (error) {
    notFound = {
      statusCode: error.statusCode,
      code: error.code,
      requestId: error.response?.headers?.get("x-ms-request-id") ?? null,
      correlationId: error.response?.headers?.get("x-ms-correlation-request-id") ?? null,
      echoedClientRequestId: error.response?.headers?.get("x-ms-client-request-id") ?? null,
      clientRequestId: error.request?.headers?.get("x-ms-client-request-id") ?? null,
    };
  }
  return {
    tokens: await tokens(),
    registry: { name: created.name, provisioningState: created.provisioningState, loginServer: created.loginServer },
    notFound,
    answers,
  };
}

async function asyncScenario() {
  const c = clients(credential());
  const rg = `${prefix}-async`;
  await group(c, rg);
  const name = `${prefix}lro01`.replace(/-/g, "");
  const created = await registry(c, rg, name);
  const operations = new Set(answers.filter((a) => a.asyncOperation).map((a) => new URL(a.asyncOperation).pathname));
  const registryPolls = answers.filter((a) => a.method === "GET" && operations.has(a.path)).length;

  const vnet = await c.network.virtualNetworks.beginCreateOrUpdateAndWait(rg, "vnet", {
    location: "chinanorth2",
    addressSpace: { addressPrefixes: ["10.20.0.0/16"] },
    subnets: [{ name: "default", addressPrefix: "10.20.0.0/24" }],
  });
  const endpoint = await c.network.privateEndpoints.beginCreateOrUpdateAndWait(rg, "pe", {
    location: "chinanorth2",
    subnet: { id: vnet.subnets[0].id },
    privateLinkServiceConnections: [
      { name: "pe-conn", privateLinkServiceId: created.id, groupIds: ["registry"] },
    ],
  });

  // More registries than one page holds (the process runs with a small page size).
  for (let i = 2; i <= 5; i++) {
    await registry(c, rg, `${prefix}lro0${i}`.replace(/-/g, ""), "Basic");
  }
  const pages = [];
  for await (const page of c.acr.registries.listByResourceGroup(rg).byPage()) {
    pages.push(page.map((r) => r.name));
  }
  const groups = [];
  for await (const g of c.resources.resourceGroups.list()) {
    groups.push(g.name);
  }
  return {
    registry: { name: created.name, provisioningState: created.provisioningState },
    registryPolls,
    endpoint: {
      provisioningState: endpoint.provisioningState,
      connectionStatus: endpoint.privateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status ?? null,
      nicCount: endpoint.networkInterfaces?.length ?? 0,
    },
    pages,
    groups,
    answers,
  };
}

const scenarios = { basics, async: asyncScenario };
const run = scenarios[process.argv[2]];
if (!run) {
  console.error(`usage: node scenario.mjs ${Object.keys(scenarios).join("|")}`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await run()));
} catch (error) {
  console.error(error?.stack ?? String(error));
  if (error?.response?.bodyAsText) console.error(error.response.bodyAsText);
  process.exit(1);
}
