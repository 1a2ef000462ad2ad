"""Every guess about Azure's wire behaviour, in one place.

The reference (``shared/reference/ARM-REFERENCE.md``) marks these [UNCONFIRMED]: no primary source shows
the real code or message. When a real recording turns up, fix it here and nowhere else.
"""

from __future__ import annotations

# Registry name outside 5-50 alphanumerics. ACR answers 400; the code is a guess.
INVALID_REGISTRY_NAME_CODE = "InvalidResourceName"
INVALID_REGISTRY_NAME_MESSAGE = (
    "Registry names may contain only alpha numeric characters and must be between 5 and 50 characters."
)

# A Premium-only feature asked of a Basic/Standard registry (replications, network rules, data
# endpoints, private endpoints). The confirmed sibling is 'SkuNotSupported' for quarantine policy.
PREMIUM_ONLY_CODE = "SkuNotSupported"

# Replicating into the registry's home region, or twice into one region.
REPLICATION_REGION_CODE = "ReplicationRegionConflict"

# Deleting the home-region replication (it goes only with the registry).
HOME_REPLICATION_DELETE_CODE = "CannotDeleteHomeReplication"

# Admin credentials asked for while the admin user is disabled.
ADMIN_USER_DISABLED_CODE = "AdminUserDisabled"

# An illegal private endpoint connection transition (e.g. approving a Rejected connection).
CONNECTION_TRANSITION_CODE = "PrivateEndpointConnectionStatusTransitionNotAllowed"

# PUT of a private endpoint connection that no private endpoint created.
CONNECTION_NOT_FOUND_CODE = "PrivateEndpointConnectionNotFound"

# Registries created before this date keep the old private endpoint limit.
LEGACY_PE_LIMIT_BEFORE = "2021-10-01"
PE_LIMIT = 200
LEGACY_PE_LIMIT = 10

# listUsages entry names beyond 'Size' and 'Webhooks' (which the spec example confirms).
USAGE_NAMES = ("Size", "Webhooks", "Geo-replications", "IPRules", "VNetRules", "PrivateEndpointConnections")

# The home region's entry in 'replications' list appears once the registry has another replica
# (observed behaviour, not re-verified).
HOME_REPLICATION_LISTED_WHEN_GEO_REPLICATED = True

# importImage onto a write-locked tag, into a write-locked repository or over a write-locked manifest by
# digest. Neither the ACR docs nor az's import command (which only re-raises the service's error) show what
# ARM answers; acrlink refuses with 409 and this code, the data plane's disallowed-operation words in the
# message.
IMPORT_LOCKED_CODE = "OperationNotAllowed"

# Registry data plane ----------------------------------------------------------------------------------

# A pull (manifest or blob GET/HEAD) of a repository, tag or manifest whose readEnabled is false. The
# confirmed refusal for a locked push, delete or attribute update is 405 REGISTRY_DISALLOWED_OPERATION
# (Azure/azure-sdk-for-net#22827); that a refused pull answers the same is a guess.
READ_DISABLED_CODE = "REGISTRY_DISALLOWED_OPERATION"

# A PATCH of changeable attributes whose body is not a JSON object of booleans (400; the code is a guess).
ATTRIBUTES_INVALID_CODE = "BAD_REQUEST"

# Microsoft.Network ------------------------------------------------------------------------------------

# A subnet smaller than /29.
SUBNET_TOO_SMALL_CODE = "InvalidAddressPrefix"

# Not enough free addresses in a subnet for a private endpoint's members.
SUBNET_FULL_CODE = "SubnetIsFull"

# A prefix change that would leave allocated addresses outside the subnet.
SUBNET_PREFIX_IN_USE_CODE = "InUseSubnetCannotBeUpdated"

# Deleting a network interface a private endpoint owns.
PE_NIC_DELETE_CODE = "CannotDeleteNicOwnedByPrivateEndpoint"

# A private endpoint whose target resource does not exist or is not a registry.
PE_TARGET_NOT_FOUND_CODE = "PrivateLinkServiceResourceNotFound"
PE_TARGET_TYPE_CODE = "PrivateEndpointResourceTypeNotSupported"

# A group id other than 'registry'.
PE_GROUP_ID_CODE = "PrivateLinkServiceGroupIdNotFound"

# A private endpoint to a Basic or Standard registry (S1).
PE_NOT_PREMIUM_CODE = "PrivateEndpointConnectionNotSupported"

# Over the registry's private endpoint limit (S8).
PE_LIMIT_CODE = "QuotaExceeded"

# A private endpoint with no connection, or more than one.
PE_CONNECTION_COUNT_CODE = "PrivateEndpointMustHaveExactlyOneConnection"

# Changing the subnet or target of an existing private endpoint.
PE_IMMUTABLE_CODE = "CannotChangePrivateEndpointConfiguration"

# Private DNS: a zone not in location 'global'; a single-label zone name.
ZONE_LOCATION_CODE = "InvalidLocation"
ZONE_NAME_CODE = "BadRequest"

# Private DNS: the same VNet linked twice to one zone; a second registration zone for a VNet.
LINK_DUPLICATE_CODE = "Conflict"
REGISTRATION_ZONE_CODE = "BadRequest"

# Private DNS: deleting a zone that still has virtual network links.
ZONE_HAS_LINKS_CODE = "Conflict"

# Zone-group records are written only for approved connections (inferred, not observed).
ZONE_GROUP_RECORDS_ONLY_WHEN_APPROVED = True

# ARM edge (arm/edge.py, arm/wire.py) -------------------------------------------------------------------

# A $top or $skiptoken that is not a plain non-negative integer. ARM's code for it is not in any public log
# seen; the code and the wording are guesses.
INVALID_QUERY_VALUE_CODE = "InvalidQueryParameterValue"

# The deepest JSON nesting ARM reads. ARM deserialises with Newtonsoft.Json, whose reader refuses past
# MaxDepth (64 by default); that ARM keeps that default, and its message, are guesses.
JSON_MAX_DEPTH = 64

# RequestContentTooLarge's code and 4 MB limit are confirmed (public deployment logs); the status, 413, is not.

# A NIC's dnsSettings.internalDomainNameSuffix: '<26 letters>.bx.internal.cloudapp.net' in the REST examples
# (public cloud). The China cloud's suffix and the cluster label acrlink shows are guesses.
INTERNAL_DNS_CLUSTER = "bx"
INTERNAL_DNS_SUFFIX = "internal.cloudapp.net"
INTERNAL_DNS_SUFFIXES = {"cloudapp.chinacloudapi.cn": "internal.chinacloudapp.cn"}

# ARM auth and headers (arm/auth.py, arm/headers.py) ----------------------------------------------------

# ARM given a token Entra did not sign (a registry refresh/access token, garbage): Azure's code for an
# unverifiable token; the plain message is the one seen for malformed tokens.
FOREIGN_TOKEN_CODE = "InvalidAuthenticationToken"
FOREIGN_TOKEN_MESSAGE = "The access token is invalid."

# ARM given an Authorization header that is not 'Bearer <token>'.
BAD_AUTHORIZATION_FORMAT_MESSAGE = "Authentication failed. The 'Authorization' header is provided in an invalid format."

# The x-ms-ratelimit-remaining-subscription-reads/writes ARM sends: its classic hourly budgets less one
# (12,000 reads, 1,200 writes); acrlink does not throttle, so the figure never falls.
RATELIMIT_REMAINING_READS = "11999"
RATELIMIT_REMAINING_WRITES = "1199"

# Registry token service and firewall, as real clients show them (registry/app.py, registry/tokens.py) -----

# A client ACR's firewall refuses still gets the anonymous ``GET /v2/`` challenge (401); the refusal, 403
# DENIED "client with IP ... is not allowed access", comes from the token service and every other request.
# Inferred from real clients' output, not from a recording: az acr login against a registry with public access
# disabled fails at the exchange ("CONNECTIVITY_REFRESH_TOKEN_ERROR ... Response code: 403",
# MicrosoftDocs/azure-docs#85239; "exchange API response code: 403 Forbidden", azure-cli#28151), and the docker
# daemon prints 'Get "https://R/v2/": denied: client with IP ...' on login (azure-cli#27253, acr-cli#122) and
# 'Head "https://R/v2/IMAGE/manifests/TAG": denied: ...' on pull (Azure/acr#633), the forms dockerd gives
# only when the ping answered 401 with a challenge and the token request 403.
FIREWALL_SPARES_CHALLENGE = True

# ``GET /oauth2/token?offline_token=true`` (docker login) by the null user with a refresh token as password
# also answers a ``refresh_token``, which docker stores as the identity token: after az acr login, docker's
# config.json holds the null user with an empty password plus an ``identitytoken`` (seen in many public
# reports, e.g. devcontainers/cli#434, bazel-contrib/rules_oci#600). That the token is a new refresh token
# (rather than the one sent) is a guess; whether the admin user gets one too is unknown, so it does not.
OFFLINE_REFRESH_FOR_TOKEN_LOGIN = True

# An Entra ID principal whose roles do not give what a request needs: its token service still issues the access
# token (without those actions) and the request is answered 401 UNAUTHORIZED "authentication required, visit
# https://aka.ms/acr/authorization for more information." with the needed scope as detail
# [{"Type": "repository", "Name": ..., "Action": "pull"}] (the body acr-cli#523 shows for a GET manifest without
# pull; AgentBaker#7105 the same for the catalog in ABAC mode; docker prints "unauthorized: authentication
# required, visit ..." for pushes without AcrPush, Azure/acr#258, #506), not 403 DENIED. Public reports, no recording.
# The admin user and anonymous pull keep acrlink's 403 DENIED for a missing scope (unknown for ACR).
MISSING_ROLE_IS_UNAUTHORIZED = True

# /oauth2/exchange given an Entra token of another tenant than the registry's, or a ``tenant`` form field that is
# not the token's: 401 UNAUTHORIZED (the token service's code for a bad credential); ACR's words are unknown.
REGISTRY_TENANT_MISMATCH_MESSAGE = (
    "the Azure AD access token is from tenant {token_tenant}, but registry {registry} belongs to tenant "
    "{registry_tenant}; get a token from the registry's tenant"
)
ENTRA_TOKEN_TENANT_MISMATCH_MESSAGE = (
    "the tenant {tenant} does not match the Azure AD access token's tenant {token_tenant}"
)

# Private DNS record set names and values (domain.dnsrecords). Confirmed from Azure DNS logs: code
# 'BadRequest' and "The domain name '{x}' is invalid." for a bad CNAME target. Guessed: 1,024 characters
# per TXT record, all its strings together (public zones allow 4,096 per record set), with a string longer
# than 255 accepted and served as several (Azure public DNS refused those over REST in 2019-2020; az,
# PowerShell and Terraform split values client-side); the messages below; and the apex of a private zone
# answering NS queries NOERROR with no records and the SOA (private zones hold no NS records).
RECORD_NAME_MESSAGE = "The record set name '{name}' is invalid."
RECORD_NAME_LENGTH_MESSAGE = "The record set name and the zone name together exceed {limit} characters."
TXT_TOO_LONG_MESSAGE = "The combined length of all strings in a TXT record may not exceed {limit} characters."
NUMBER_RANGE_MESSAGE = "The value '{value}' of '{field}' must be between 0 and {top}."
CNAME_AT_APEX_MESSAGE = "A CNAME record set cannot be created at the zone apex ('@')."

# The registry face's ``Server`` header. The recordings say ACR sends this value; no primary
# source (a recorded response) was found to confirm the exact spelling.
REGISTRY_SERVER_HEADER = "AzureContainerRegistry"

# Template deployments ---------------------------------------------------------------------------------

# A template whose $schema is for another scope (a subscription template deployed to a group).
TEMPLATE_SCOPE_MISMATCH_CODE = "InvalidTemplateDeployment"

# A PUT, DELETE or new deployment over a deployment that is still running.
DEPLOYMENT_ACTIVE_CODE = "DeploymentActive"

# cancel of a deployment that is not Accepted or Running.
DEPLOYMENT_NOT_CANCELLABLE_CODE = "DeploymentCannotBeCancelled"

# A deployment that was running when acrlink stopped ends Failed with this code on the next start.
DEPLOYMENT_INTERRUPTED_CODE = "DeploymentInterrupted"

# The history limit reached while every stored deployment is still running (nothing can be groomed).
DEPLOYMENT_QUOTA_CODE = "DeploymentQuotaExceeded"

# ARM grooms a group's history above this many deployments, oldest first, down to GROOM_TO.
DEPLOYMENT_HISTORY_LIMIT = 800
GROOM_ABOVE = 775
GROOM_TO = 750

# A Key Vault reference as a parameter value (acrlink has no Key Vault).
KEYVAULT_REFERENCE_CODE = "InvalidDeploymentParameterValue"

# What a successful operation's statusMessage holds (ARM's exact content is unpublished): the RP's body.
OPERATION_STATUS_MESSAGE_IS_BODY = True

# A PUT that changes nothing keeps the resource's etag (what-if says NoChange; ARM RPs answer the same
# document). The etag is what changes when the stored document does.
NO_OP_PUT_KEEPS_ETAG = True
# ARM template language (domain/templates/) -----------------------------------------------------------

# A JSON object (request body or template) that names a property twice. Newtonsoft's JObject refuses a
# second add with this text; that ARM's reader refuses duplicates (rather than last-wins) is a guess.
JSON_DUPLICATE_PROPERTY = (
    "Can not add property {name} to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object."
)

# Expression syntax errors. The two shapes are those seen in public deployment logs; the position base
# (zero-based, in the text between the outer brackets) and the token names are guesses.
EXPRESSION_UNEXPECTED_CHARACTER = (
    "The language expression '{expr}' is not valid: the string character '{char}' at position '{pos}' is not expected."
)
EXPRESSION_UNEXPECTED_TOKEN = (
    "Unable to parse language expression '{expr}': expected token '{expected}' and actual '{actual}'."
)
EXPRESSION_TOO_LONG = "The language expression literal limit exceeded. Limit: '{limit}' and actual: '{actual}'."
EXPRESSION_TOO_DEEP = "The language expression '{expr}' is nested too deeply."

# Template function errors. The unknown-function text is the one ARM users quote; the argument-count,
# argument-type and property-access wordings follow the shapes seen in public logs, but which function
# says what, and the help links, are guesses.
FUNCTION_NOT_FOUND = (
    "The template function '{name}' is not found. Please see https://aka.ms/arm-functions for usage details."
)
FUNCTION_ARG_COUNT = (
    "Unable to evaluate template language function '{name}': function requires {expected} argument(s) while "
    "{actual} were provided. Please see https://aka.ms/arm-functions for usage details."
)
FUNCTION_FAILED = (
    "Unable to evaluate template language function '{name}': {detail} Please see https://aka.ms/arm-functions "
    "for usage details."
)
FUNCTION_ARG_TYPE = (
    "The template language function '{name}' expects its {ordinal} parameter to be of type '{expected}'. "
    "The provided value is of type '{actual}'. Please see https://aka.ms/arm-functions for usage details."
)
PROPERTY_MISSING = "The language expression property '{name}' doesn't exist, available properties are '{available}'."
PROPERTY_NOT_EVALUABLE = "The language expression property '{name}' can't be evaluated."
INDEX_OUT_OF_RANGE = "The language expression property array index '{index}' is out of bounds."
INDEX_NOT_EVALUABLE = (
    "The language expression property array index '{index}' can't be evaluated: the value is of type '{type}'."
)
LAMBDA_MISPLACED = (
    "The template language function 'lambda' can only be used as a direct argument of the functions "
    "'filter', 'groupBy', 'map', 'mapValues', 'reduce', 'sort' and 'toObject'."
)
LAMBDA_VARIABLE_MISSING = (
    "The lambda variable '{name}' is not defined; the lambda variables in scope are '{available}'."
)
# substring out of range: the text the ARM string-functions doc quotes.
SUBSTRING_RANGE = (
    "The index and length parameters must refer to a location within the string. The index parameter: "
    "'{index}', the length parameter: '{length}', the length of the string parameter: '{size}'."
)

# A deployment name outside 1-64 of letters, digits, '-', '_', '.', '(' and ')' (az checks it first).
INVALID_DEPLOYMENT_NAME_CODE = "InvalidDeploymentName"

# Azure RBAC and ACR's role-based data plane (issue 13) ------------------------------------------------------

# A role assignment whose condition does not parse or names what the resource provider does not support: 400.
# The message is the one Microsoft's troubleshooting page quotes (conditions-troubleshoot: "The given role
# assignment condition is invalid."); the code is a guess (no recorded response body shows it).
INVALID_CONDITION_CODE = "InvalidRoleAssignmentCondition"
INVALID_CONDITION_MESSAGE = "The given role assignment condition is invalid."

# In the legacy ("RBAC Registry Permissions") mode, which control-plane action lets a token change a repository's
# or image's attributes (metadata_write: locking, writeEnabled...). The directory reference gives that right to
# Owner and Contributor only ("Configure policies for repositories and images") and the operations list has
# registries/metadata/write ("Updates the metadata of a repository"); that ACR checks that action is a guess.
LEGACY_METADATA_WRITE_ACTION = "Microsoft.ContainerRegistry/registries/metadata/write"

# Whether a legacy-mode registry also honours the repository data actions (registries/repositories/content/read...,
# registries/catalog/read) of the Container Registry Repository roles. The directory reference lists those roles
# only under the ABAC mode; that the legacy mode ignores them is a guess.
LEGACY_MODE_HONOURS_REPOSITORY_DATA_ACTIONS = False

# ABAC conditions: the condition-format page documents \* and \? as escapes inside Like patterns but says nothing
# of a single quote inside a quoted value. acrlink reads \' as a quote that does not end the string (a guess).
ABAC_BACKSLASH_QUOTE_ESCAPE = True

# The attribute sources ACR accepts for the repository name. Microsoft's ACR ABAC page only ever shows
# @Request[Microsoft.ContainerRegistry/registries/repositories:name]; accepting @Resource[...] too is a guess.
ACR_REPOSITORY_NAME_SOURCES = ("Request", "Resource")

# Microsoft.Authorization roleAssignments / roleDefinitions on the ARM face (issue 13) ---------------------------

# Deleting a group or a resource removes the role assignments at and below it (ARM deletes a scope's extension
# resources with it; a group re-created under the same name starts with no assignments). No primary source
# states it for role assignments; Azure's "orphaned" assignments are those whose principal was deleted.
ROLE_ASSIGNMENTS_GO_WITH_THEIR_SCOPE = True

# A role assignment PUT naming a role definition GUID that does not exist: the code and message are those of a
# GET of that role definition (404 RoleDefinitionDoesNotExist, quoted in Azure/terraform-azurerm-caf-enterprise-
# scale's docs); that the PUT answers them with 400 is a guess.
ROLE_DEFINITION_MISSING_ON_PUT_STATUS = 400

# A roleDefinitionId that is not '[/subscriptions/S]/providers/Microsoft.Authorization/roleDefinitions/{guid}'.
INVALID_ROLE_DEFINITION_ID_CODE = "InvalidRoleDefinitionId"
INVALID_ROLE_DEFINITION_ID_MESSAGE = "The role definition ID '{value}' is not valid."

# GET of a role assignment name that does not exist at the scope.
ROLE_ASSIGNMENT_NOT_FOUND_CODE = "RoleAssignmentNotFound"
ROLE_ASSIGNMENT_NOT_FOUND_MESSAGE = "The role assignment '{name}' is not found."

# A $filter on role assignments or definitions that is none of the documented forms (atScope(), principalId eq,
# assignedTo(), atScope() and assignedTo(); roleName eq, type eq).
INVALID_AUTHORIZATION_FILTER_CODE = "InvalidFilter"
INVALID_AUTHORIZATION_FILTER_MESSAGE = "The filter '{value}' is not supported."

# A condition without conditionVersion is taken as version 2.0 (az sends 2.0 itself when only --condition is
# given); a conditionVersion without a condition is refused with the invalid-condition error.
DEFAULT_CONDITION_VERSION = "2.0"

# ACR honours conditions only on the three ABAC-enabled Repository roles; a condition on any other role is
# refused with the invalid-condition error (Azure may instead store it and never apply it).
CONDITIONS_ONLY_ON_ABAC_ROLES = True

# The built-in roles' createdOn/updatedOn (Azure shows each role's own dates; acrlink one fixed moment).
BUILTIN_ROLE_CREATED_ON = "2015-02-02T21:55:09.8806423Z"

# The built-in roles at the tenant root (/providers/Microsoft.Authorization/roleDefinitions) are readable by any
# authenticated caller of the tenant; below it, roleDefinitions/read at the scope is needed.
TENANT_ROLE_DEFINITIONS_NEED_NO_ROLE = True
# LinkedAuthorizationFailed (domain/linked_access.py). Confirmed: 403, the code, and both message shapes (the
# client's "has permission ... however, it does not have permission to perform action ... on the linked scope(s)"
# from an Automation private endpoint, MicrosoftDocs/azure-docs#96892; "however the current tenant ... is not
# authorized to access linked subscription" from Azure/OpenShift#41). Guesses: that ACR's message names the
# linked action in full (the Automation one showed only 'PrivateEndpointConnectionsApproval/action'); that a
# cross-tenant automatic private endpoint gets the tenant wording rather than the permission one; that ARM checks
# the approval action before the resource provider looks at the target (so a missing registry is refused as a
# linked scope that "is invalid" when the caller has no role there); that subnets/join/action is checked on
# every private endpoint PUT and the approval action on every PUT with an automatic connection.

# Microsoft Graph. acrlink refuses an application whose display name another principal has (Graph itself
# allows duplicates; acrlink's principals are found by name). The message is Graph's uniqueness wording for
# other properties (identifierUris), a guess for displayName.
GRAPH_NAME_IN_USE = "Another object with the same value for property displayName already exists."
# A second service principal for one application: Graph answers 409; the message is a guess.
GRAPH_SP_EXISTS = "Another object with the same value for property servicePrincipalNames already exists."
# The managed-identity endpoint given a missing or forged X-IDENTITY-HEADER: App Service answers 400; the
# message is a guess. IMDS asked for a host with no identity answers 400 'Identity not found'.
MI_BAD_HEADER = "The X-IDENTITY-HEADER header is missing or not valid for this host."
MI_NOT_FOUND = "Identity not found"

# Tokens and scope maps (resources/scope_map.py, resources/token.py, services/token_logins.py). Confirmed: the
# shapes, the SystemDefined maps' actions, password1/password2, the action grammar and wildcards, names of 5-50
# letters, digits, '-' and '_', limits per SKU, a token lacking a scope answered 401 UNAUTHORIZED with ACR's
# authentication message and the scope in detail (Azure/acr#675), the catalog only for maps with a rule on '*'
# (Azure/acr#751). Guesses: the codes and messages below; that any action on '*' opens the catalog
# (TOKEN_CATALOG_RULE); that SystemDefined maps do not count toward the ScopeMaps usage; that deleting a scope map
# tokens use is allowed (az's prompt says it removes the tokens' permissions) and leaves them with none; that an
# action naming a repository in upper case is refused (az lower-cases them before sending).
TOKEN_CATALOG_RULE = "any repositories/*/ action"
INVALID_SCOPE_MAP_ACTION_CODE = "InvalidScopeMapAction"
INVALID_TOKEN_NAME_CODE = "InvalidResourceName"
SYSTEM_SCOPE_MAP_CODE = "ScopeMapIsSystemDefined"
SYSTEM_SCOPE_MAP_MESSAGE = "The scope map '{name}' is system defined and cannot be created, changed or deleted."
INVALID_SCOPE_MAP_ID_CODE = "InvalidScopeMapId"
TOKEN_NOT_FOUND_CODE = "TokenNotFound"
QUOTA_EXCEEDED_CODE = "QuotaExceeded"
QUOTA_EXCEEDED_MESSAGE = "The registry '{registry}' has reached its limit of {limit} {what} for the SKU {sku}."
# A disabled token, or a password past its expiry, at the token service: 401 UNAUTHORIZED (the code ACR uses
# for every refused login); the messages are acrlink's.
TOKEN_DISABLED_MESSAGE = "the token {name} is disabled"
TOKEN_PASSWORD_EXPIRED_MESSAGE = "the password of token {name} has expired"
# Webhooks (resources/webhook.py). Confirmed: the shapes, actions, scope forms and per-SKU limits (az 2.91,
# Microsoft's webhook reference). Guesses: the error codes and messages for a bad service URI, scope or empty
# action list, a bad name, and the SKU limit; that a ping's payload carries only id, timestamp and action; that
# listEvents masks only Authorization; that a webhook hears pushes to every region of the registry (acrlink has
# one content store per registry, Azure delivers from the webhook's replica); that a tag-scoped webhook hears the
# delete of a manifest that carried that tag; that pending deliveries are not listed by listEvents; that a
# repository delete sends one delete event per manifest; that an imported image's push event has no request.
WEBHOOK_INVALID_CODE = "InvalidParameter"
INVALID_WEBHOOK_NAME_CODE = "InvalidResourceName"
WEBHOOK_LIMIT_CODE = "QuotaExceeded"

# ACR Tasks (quick builds, tasks/agent.py). Guesses: that a quick build's agent passes the registry's network rules
# only when networkRuleBypassAllowedForTasks is true AND networkRuleBypassOptions is AzureServices (docs: tasks
# "transitioned from" the trusted-services list, and the flag opts back in); otherwise the agent is a public client
# with its egress IP (IP rules apply to it). The SAS refusal wording of the blob face (Storage's AuthenticationFailed
# and AuthorizationPermissionMismatch codes are real; the detail text is acrlink's). The run ids ca1, ca2... per
# registry; the wording of the log's lines other than the closing "Run ID: X was successful after Ns" / "failed after
# Ns. Error: ..." (ACR's own, from the docs) and the firewall's "failed to login, ran out of retries" line.
TASKS_BYPASS_NEEDS_AZURE_SERVICES = True

# How long a deleted agent pool stays readable as provisioningState 'Deleting' (Azure deletes pools
# asynchronously; az's delete polls the pool every 30 s until the GET answers 404). The duration is a guess, short
# enough that az's first poll after 30 s finds the pool gone.
AGENT_POOL_DELETING_SECONDS = 10

# A backing server (the shared PostgreSQL store, the Azure Blob Storage blob store) cannot be reached. Every face
# answers 503 with Retry-After (seconds). Guesses: ARM's code 'ServiceUnavailable' and the message; the registry's
# code 'UNAVAILABLE' (CNCF Distribution's errcode for 503, not in the OCI spec's table; ACR's answer is not recorded).
ARM_UNAVAILABLE_CODE = "ServiceUnavailable"
ARM_UNAVAILABLE_MESSAGE = "The service is temporarily unavailable. Please retry the request after {seconds} seconds."
REGISTRY_UNAVAILABLE_CODE = "UNAVAILABLE"
REGISTRY_UNAVAILABLE_MESSAGE = "service unavailable"
# The Tasks blob face (a storage account's stand-in) whose blobs' backend cannot be reached answers as Storage does
# when it cannot take requests: 503 'ServerBusy' (Storage's documented code and message). Guess: that real Storage
# sends Retry-After with it (acrlink sends it, as its other faces do, so clients wait).
BLOB_FACE_UNAVAILABLE_CODE = "ServerBusy"
BLOB_FACE_UNAVAILABLE_MESSAGE = "The server is currently unable to receive requests. Please retry your request."
