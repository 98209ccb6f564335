package dev.smartbroker.simulator;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * The synthetic chart: the sandbox's SMART family (cerner-smart-facts §6), their encounters and a few
 * observations, and the clinicians' Practitioner resources, built with HAPI R4 structures in Cerner's style
 * (§7: {@code CI-} element ids, a tenant-local codeSet coding marked {@code userSelected} beside the standard
 * coding). Serialised once per tenant at start, so reads are map lookups.
 */
final class FhirData {

    /** A synthetic patient and the encounter PowerChart has open for them. */
    record SyntheticPatient(String id, String family, String given, String gender, String birthDate, String encounterId) {

        String display() {
            return family + ", " + given;
        }
    }

    static final List<SyntheticPatient> PATIENTS = List.of(
            new SyntheticPatient("12724065", "SMART", "WILMA", "female", "1947-02-10", "97953483"),
            new SyntheticPatient("12724066", "SMART", "NANCY", "female", "1980-08-11", "97953477"),
            new SyntheticPatient("12724067", "SMART", "JOE", "male", "1976-04-29", "97953480"),
            new SyntheticPatient("12724068", "SMART", "HAILEY", "female", "2004-03-19", "97953486"),
            new SyntheticPatient("12724069", "SMART", "TIMMY", "male", "2012-06-02", "97953492"));

    /** One serialised resource and, for chart resources, the patient whose compartment it is in. */
    record Stored(String json, String patientId) {
    }

    private final Map<String, Map<String, Stored>> byTenant = new HashMap<>();

    FhirData(FhirContext fhir, List<SimulatorConfig.Tenant> tenants, List<SimulatorConfig.User> users) {
        IParser parser = fhir.newJsonParser();
        for (SimulatorConfig.Tenant tenant : tenants) {
            Map<String, Stored> resources = new LinkedHashMap<>();
            for (SyntheticPatient p : PATIENTS) {
                put(resources, parser, patient(tenant.id(), p), p.id());
                put(resources, parser, encounter(tenant.id(), p), p.id());
                int n = 1;
                for (Observation o : observations(tenant.id(), p)) {
                    o.setId("M-" + p.id() + "-" + n++);
                    put(resources, parser, o, p.id());
                }
            }
            for (SimulatorConfig.User user : users) {
                put(resources, parser, practitioner(tenant.id(), user), null);
            }
            byTenant.put(tenant.id(), resources);
        }
    }

    private static void put(Map<String, Stored> resources, IParser parser, Resource resource, String patientId) {
        resources.put(resource.fhirType() + "/" + resource.getIdElement().getIdPart(),
                new Stored(parser.encodeResourceToString(resource), patientId));
    }

    Stored get(String tenant, String type, String id) {
        Map<String, Stored> resources = byTenant.get(tenant);
        return resources == null ? null : resources.get(type + "/" + id);
    }

    /** Resources of a type in one patient's compartment. */
    List<Stored> search(String tenant, String type, String patientId) {
        List<Stored> found = new ArrayList<>();
        Map<String, Stored> resources = byTenant.getOrDefault(tenant, Map.of());
        resources.forEach((key, stored) -> {
            if (key.startsWith(type + "/") && patientId.equals(stored.patientId())) {
                found.add(stored);
            }
        });
        return found;
    }

    static SyntheticPatient patient(String id) {
        return PATIENTS.stream().filter(p -> p.id().equals(id)).findFirst().orElse(null);
    }

    // ---------------------------------------------------------------- builders

    private static CodeableConcept concept(String tenant, int codeSet, String localCode, String display, String system, String code) {
        CodeableConcept c = new CodeableConcept();
        c.addCoding(new Coding("https://fhir.cerner.com/" + tenant + "/codeSet/" + codeSet, localCode, display).setUserSelected(true));
        if (system != null) {
            c.addCoding(new Coding(system, code, display).setUserSelected(false));
        }
        c.setText(display);
        return c;
    }

    private static Narrative narrative(String title, String line) {
        Narrative n = new Narrative();
        n.setStatus(Narrative.NarrativeStatus.GENERATED);
        n.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p><b>" + title + "</b></p><p>" + line + "</p></div>");
        return n;
    }

    private static Patient patient(String tenant, SyntheticPatient p) {
        Patient patient = new Patient();
        patient.setId(p.id());
        patient.getMeta().setVersionId("10").setLastUpdated(new Date(1594070482000L));
        patient.setText(narrative("Patient", "<b>Name</b>: " + p.display()));
        Identifier mrn = patient.addIdentifier();
        mrn.setId("CI-490016886-" + p.id().substring(p.id().length() - 1));
        mrn.setUse(Identifier.IdentifierUse.USUAL);
        mrn.setType(concept(tenant, 4, "10", "MRN", "http://terminology.hl7.org/CodeSystem/v2-0203", "MR"));
        mrn.setSystem("urn:oid:2.16.840.1.113883.6.1000");
        mrn.setValue(String.valueOf(6900 + Integer.parseInt(p.id().substring(p.id().length() - 2))));
        patient.setActive(true);
        HumanName name = patient.addName();
        name.setId("CI-" + p.id() + "-0");
        name.setUse(HumanName.NameUse.OFFICIAL).setText(p.display()).setFamily(p.family()).addGiven(p.given());
        ContactPoint phone = patient.addTelecom();
        phone.setId("CI-PH-2981192" + p.id().charAt(p.id().length() - 1) + "-0");
        phone.setSystem(ContactPoint.ContactPointSystem.PHONE).setValue("816888888" + p.id().charAt(p.id().length() - 1))
                .setUse(ContactPoint.ContactPointUse.HOME);
        patient.setGender(Enumerations.AdministrativeGender.fromCode(p.gender()));
        patient.setBirthDateElement(new DateType(p.birthDate()));
        patient.setDeceased(new BooleanType(false));
        org.hl7.fhir.r4.model.Address address = patient.addAddress();
        address.setId("CI-24313553-0");
        address.setText("12345 Main St\nKansas city, MO 64116\nUS").addLine("12345 Main St")
                .setCity("Kansas city").setDistrict("Jackson").setState("MO").setPostalCode("64116").setCountry("US");
        patient.setMaritalStatus(concept(tenant, 38, "309237", "Married", "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "M"));
        patient.addGeneralPractitioner(new Reference("Practitioner/4122622").setDisplay("Cerner Test, Physician - Hospitalist Cerner"));
        return patient;
    }

    private static Encounter encounter(String tenant, SyntheticPatient p) {
        Encounter e = new Encounter();
        e.setId(p.encounterId());
        e.getMeta().setVersionId("4").setLastUpdated(new Date(1594070482000L));
        e.setText(narrative("Encounter", "Inpatient, " + p.display()));
        e.setStatus(Encounter.EncounterStatus.INPROGRESS);
        e.setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP", "inpatient encounter"));
        e.addType(concept(tenant, 71, "309308", "Inpatient", null, null));
        e.setSubject(new Reference("Patient/" + p.id()).setDisplay(p.display()));
        e.setPeriod(new Period().setStartElement(new DateTimeType("2020-07-06T21:21:22.000Z")));
        return e;
    }

    private static List<Observation> observations(String tenant, SyntheticPatient p) {
        List<Observation> list = new ArrayList<>();
        Observation heartRate = vital(tenant, p, "703511", "Heart Rate", "8867-4", 72 + p.id().charAt(7) - '0', "/min", "/min");
        Observation weight = vital(tenant, p, "4154120", "Weight Measured", "29463-7", 60 + 3 * (p.id().charAt(7) - '0'), "kg", "kg");
        list.add(heartRate);
        list.add(weight);
        return list;
    }

    private static Observation vital(String tenant, SyntheticPatient p, String localCode, String display, String loinc, double value,
                                     String unit, String ucum) {
        Observation o = new Observation();
        o.getMeta().setVersionId("1").setLastUpdated(new Date(1594070482000L));
        o.setStatus(Observation.ObservationStatus.FINAL);
        o.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")));
        o.setCode(concept(tenant, 72, localCode, display, "http://loinc.org", loinc));
        o.setSubject(new Reference("Patient/" + p.id()));
        o.setEncounter(new Reference("Encounter/" + p.encounterId()));
        o.setEffective(new DateTimeType("2020-07-06T21:30:00.000Z"));
        o.setValue(new Quantity().setValue(value).setUnit(unit).setSystem("http://unitsofmeasure.org").setCode(ucum));
        return o;
    }

    private static Practitioner practitioner(String tenant, SimulatorConfig.User user) {
        Practitioner pr = new Practitioner();
        pr.setId(user.practitionerId());
        pr.getMeta().setVersionId("20").setLastUpdated(new Date(1699476626000L));
        pr.setText(narrative("Practitioner", "<b>Name</b>: " + user.displayName()));
        pr.setActive(true);
        pr.addIdentifier().setUse(Identifier.IdentifierUse.USUAL)
                .setType(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v2-0203", "NPI", "National provider identifier")))
                .setSystem("http://hl7.org/fhir/sid/us-npi").setValue("11111" + user.practitionerId().substring(Math.max(0, user.practitionerId().length() - 5)));
        pr.addName().setUse(HumanName.NameUse.USUAL).setText(user.displayName()).setFamily(user.family()).addGiven(user.given());
        pr.addTelecom().setSystem(ContactPoint.ContactPointSystem.EMAIL).setValue(user.email()).setUse(ContactPoint.ContactPointUse.WORK);
        pr.setGender(Enumerations.AdministrativeGender.OTHER);
        return pr;
    }
}
