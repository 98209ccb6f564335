<#--
  Launch error page, contributed to every login theme (theme-resources), so it renders in the realm's own look.
  Shown in the same window: PowerChart's embedded browser does not share cookies with pop-ups.
-->
<#import "template.ftl" as layout>
<@layout.registrationLayout displayMessage=false; section>
    <#if section = "header">
        ${kcSanitize(msg(smartTitleKey!"smartErrorServerTitle"))?no_esc}
    <#elseif section = "form">
        <div id="smart-launch-error" data-smart-problem="${smartProblem!''}">
            <p class="instruction" id="smart-error-message">${kcSanitize(message.summary)?no_esc}</p>
            <#if smartMoreInfoUrl??>
                <p id="smart-more-info"><a href="${smartMoreInfoUrl}" rel="noopener noreferrer">${msg("smartMoreInformation")}</a></p>
            </#if>
            <p class="instruction" id="smart-next-step" style="margin-top:1rem">${msg("smartNextStep")}</p>
            <#if traceId??>
                <p class="instruction" id="traceId">${msg("traceIdSupportMessage", traceId)}</p>
            </#if>
        </div>
    </#if>
</@layout.registrationLayout>
