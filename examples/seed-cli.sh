#!/usr/bin/env bash
# The CLI section of the seed document (container-registry-private-link, Azure China), run verbatim
# with the real az against a running acrlink. Commands the seed assumes already happened (group,
# registry, VNet) come first; checks after each step fail the script when acrlink answers other than
# Azure would.
#
#   acrlink up --detach && bash examples/seed-cli.sh
set -euo pipefail
eval "$(acrlink env)"

expect() {  # expect WHAT ACTUAL WANTED
  if [ "$2" != "$3" ]; then echo "FAIL: $1: got '$2', want '$3'" >&2; exit 1; fi
  echo "ok: $1 = $2"
}

REGISTRY_NAME=${REGISTRY_NAME:-myregistry$RANDOM}
REGISTRY_LOCATION=chinanorth2 # Azure region such as chinanorth2 where registry created
RESOURCE_GROUP=${RESOURCE_GROUP:-seed-rg-$RANDOM} # Resource group for your existing virtual network and subnet
NETWORK_NAME=myVNet
SUBNET_NAME=mySubnet

# What the seed takes as given: a Premium registry, a VNet and a subnet.
az group create --name $RESOURCE_GROUP --location $REGISTRY_LOCATION --output none
az acr create --name $REGISTRY_NAME --resource-group $RESOURCE_GROUP --sku Premium --output none
az network vnet create --resource-group $RESOURCE_GROUP --name $NETWORK_NAME \
  --address-prefixes 10.0.0.0/16 --subnet-name $SUBNET_NAME --subnet-prefixes 10.0.0.0/24 --output none

# --- From here on, the seed's commands, verbatim. ---

az network vnet subnet update \
 --name $SUBNET_NAME \
 --vnet-name $NETWORK_NAME \
 --resource-group $RESOURCE_GROUP \
 --disable-private-endpoint-network-policies

az network private-dns zone create \
  --resource-group $RESOURCE_GROUP \
  --name "privatelink.azurecr.cn"

az network private-dns link vnet create \
  --resource-group $RESOURCE_GROUP \
  --zone-name "privatelink.azurecr.cn" \
  --name MyDNSLink \
  --virtual-network $NETWORK_NAME \
  --registration-enabled false

REGISTRY_ID=$(az acr show --name $REGISTRY_NAME \
  --query 'id' --output tsv)

az network private-endpoint create \
    --name myPrivateEndpoint \
    --resource-group $RESOURCE_GROUP \
    --vnet-name $NETWORK_NAME \
    --subnet $SUBNET_NAME \
    --private-connection-resource-id $REGISTRY_ID \
    --group-ids registry \
    --connection-name myConnection

NETWORK_INTERFACE_ID=$(az network private-endpoint show \
  --name myPrivateEndpoint \
  --resource-group $RESOURCE_GROUP \
  --query 'networkInterfaces[0].id' \
  --output tsv)

REGISTRY_PRIVATE_IP=$(az network nic show \
  --ids $NETWORK_INTERFACE_ID \
  --query "ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='registry'].privateIPAddress" \
  --output tsv)

DATA_ENDPOINT_PRIVATE_IP=$(az network nic show \
  --ids $NETWORK_INTERFACE_ID \
  --query "ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='registry_data_$REGISTRY_LOCATION'].privateIPAddress" \
  --output tsv)

# An FQDN is associated with each IP address in the IP configurations
REGISTRY_FQDN=$(az network nic show \
  --ids $NETWORK_INTERFACE_ID \
  --query "ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='registry'].privateLinkConnectionProperties.fqdns" \
  --output tsv)

DATA_ENDPOINT_FQDN=$(az network nic show \
  --ids $NETWORK_INTERFACE_ID \
  --query "ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='registry_data_$REGISTRY_LOCATION'].privateLinkConnectionProperties.fqdns" \
  --output tsv)

expect "registry private IP" "$REGISTRY_PRIVATE_IP" 10.0.0.4
expect "data endpoint private IP" "$DATA_ENDPOINT_PRIVATE_IP" 10.0.0.5
expect "registry FQDN" "$REGISTRY_FQDN" "$REGISTRY_NAME.azurecr.cn"
expect "data endpoint FQDN" "$DATA_ENDPOINT_FQDN" "$REGISTRY_NAME.$REGISTRY_LOCATION.data.azurecr.cn"

# A geo-replica (the seed's "additional endpoints for geo-replicas").
az acr replication create --registry $REGISTRY_NAME --location chinaeast2 --output none

REPLICA_LOCATION=chinaeast2
GEO_REPLICA_DATA_ENDPOINT_PRIVATE_IP=$(az network nic show \
  --ids $NETWORK_INTERFACE_ID \
  --query "ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='registry_data_$REPLICA_LOCATION'].privateIPAddress" \
  --output tsv) 
GEO_REPLICA_DATA_ENDPOINT_FQDN=$(az network nic show \
  --ids $NETWORK_INTERFACE_ID \
  --query "ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='registry_data_$REPLICA_LOCATION'].privateLinkConnectionProperties.fqdns" \
  --output tsv)

expect "geo-replica data endpoint private IP" "$GEO_REPLICA_DATA_ENDPOINT_PRIVATE_IP" 10.0.0.6
expect "geo-replica data endpoint FQDN" "$GEO_REPLICA_DATA_ENDPOINT_FQDN" "$REGISTRY_NAME.$REPLICA_LOCATION.data.azurecr.cn"

# "After adding a new geo-replication, the private endpoint connection is set to pending."
CONNECTION_NAME=$(az acr private-endpoint-connection list --registry-name $REGISTRY_NAME --query '[0].name' --output tsv)
STATUS=$(az acr private-endpoint-connection show --registry-name $REGISTRY_NAME --name $CONNECTION_NAME \
  --query privateLinkServiceConnectionState.status --output tsv)
expect "connection status after the new replica" "$STATUS" Pending
az acr private-endpoint-connection approve --registry-name $REGISTRY_NAME --name $CONNECTION_NAME \
  --description "Approved after adding chinaeast2" --output none
STATUS=$(az acr private-endpoint-connection show --registry-name $REGISTRY_NAME --name $CONNECTION_NAME \
  --query privateLinkServiceConnectionState.status --output tsv)
expect "connection status after approval" "$STATUS" Approved

az network private-dns record-set a create \
  --name $REGISTRY_NAME \
  --zone-name privatelink.azurecr.cn \
  --resource-group $RESOURCE_GROUP

# Specify registry region in data endpoint name
az network private-dns record-set a create \
  --name ${REGISTRY_NAME}.${REGISTRY_LOCATION}.data \
  --zone-name privatelink.azurecr.cn \
  --resource-group $RESOURCE_GROUP

az network private-dns record-set a add-record \
  --record-set-name $REGISTRY_NAME \
  --zone-name privatelink.azurecr.cn \
  --resource-group $RESOURCE_GROUP \
  --ipv4-address $REGISTRY_PRIVATE_IP

# Specify registry region in data endpoint name
az network private-dns record-set a add-record \
  --record-set-name ${REGISTRY_NAME}.${REGISTRY_LOCATION}.data \
  --zone-name privatelink.azurecr.cn \
  --resource-group $RESOURCE_GROUP \
  --ipv4-address $DATA_ENDPOINT_PRIVATE_IP

az network private-dns record-set a create \
  --name ${REGISTRY_NAME}.${REPLICA_LOCATION}.data \
  --zone-name privatelink.azurecr.cn \
  --resource-group $RESOURCE_GROUP

az network private-dns record-set a add-record \
  --record-set-name ${REGISTRY_NAME}.${REPLICA_LOCATION}.data \
  --zone-name privatelink.azurecr.cn \
  --resource-group $RESOURCE_GROUP \
  --ipv4-address $GEO_REPLICA_DATA_ENDPOINT_PRIVATE_IP

RECORDS=$(az network private-dns record-set a list --zone-name privatelink.azurecr.cn --resource-group $RESOURCE_GROUP \
  --query "sort_by([], &name)[].[name, aRecords[0].ipv4Address]" --output tsv | tr '\t\n' '= ')
expect "A records" "$RECORDS" "$REGISTRY_NAME=10.0.0.4 $REGISTRY_NAME.$REPLICA_LOCATION.data=10.0.0.6 $REGISTRY_NAME.$REGISTRY_LOCATION.data=10.0.0.5 "

az acr update --name $REGISTRY_NAME --public-network-enabled false

az acr private-endpoint-connection list \
  --registry-name $REGISTRY_NAME 

az group delete --name $RESOURCE_GROUP --yes
expect "group exists after delete" "$(az group exists --name $RESOURCE_GROUP)" false
echo "seed CLI walkthrough: all steps passed"
