package dev.smartbroker.smart.idp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FederatedUsersTest {

    @Test
    void usernames_are_stable_ids_keycloak_accepts() {
        assertThat(FederatedUsers.username("cerner-sandbox", "Practitioner", "12742069"))
                .isEqualTo("cerner-sandbox.practitioner.12742069");
        assertThat(FederatedUsers.username("Tenant A", "Person", "x/y:z"))
                .isEqualTo("tenant-a.person.x-y-z")
                .matches("^[a-z0-9._@+-]+$");
    }
}
