/**
 * An offline twin of Cerner's code sandbox, for tests and demos of the SMART broker.
 *
 * <p>Citations in this package: a bare {@code §n} means that section of the project's {@code docs/ehr/cerner.md}
 * (Cerner's SMART behaviour, with the sections §1.1 … §8); generic SMART App Launch 2.x behaviour cites
 * {@code docs/ehr/smart-app-launch.md} and the HL7 page it summarises (app-launch, scopes-and-launch-context,
 * client-confidential-asymmetric, backend-services). RFC sections name their RFC.
 */
package dev.smartbroker.simulator;
