-- refresh-kit 0.2: successor seals are keyed by the server's refresh.secret and are 36 bytes
-- (key id + sealed secret). A v1 seal (32 bytes) opens with the retired token alone, so a dump
-- plus that token would give the live one: delete them. Sessions keep working; a refresh that
-- races this migration inside the grace window gets ERR_TOKEN_REUSED without a revocation.
-- Safe to run again after a rolling deploy (see docs/token-format.md, "Upgrading from v1").
UPDATE "refresh_kit_sessions" SET "sealed_successor" = NULL WHERE octet_length("sealed_successor") = 32;
