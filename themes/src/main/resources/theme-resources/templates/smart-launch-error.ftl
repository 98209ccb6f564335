<#--
  Launch error page, contributed to every login theme (theme-resources), so it renders in the realm's own look.
  Shown in the same window: PowerChart's embedded browser does not share cookies with pop-ups.
  Nothing here is printed unescaped: messages carry caller-supplied values (an app id from the URL, an error code
  from the EHR), so they are plain text, never markup.
-->
<#import "template.ftl" as layout>
<#assign smartTitle = msg(smartTitleKey!"smartErrorServerTitle", "", smartEhr!"", smartChart!"", smartEhrStart!"")>
<#-- The layout writes <title>${title!}</title>, where title is the realm's "Sign in to …" from the data model. A
     variable of the layout's own namespace comes before the data model, so the tab shows the error's title. -->
<#assign title = smartTitle in layout>
<@layout.registrationLayout displayMessage=false; section>
    <#if section = "header">
        ${smartTitle}
    <#elseif section = "form">
        <div id="smart-launch-error" data-smart-problem="${smartProblem!''}">
            <p class="instruction" id="smart-error-message">${message.summary}</p>
            <#if smartMoreInfoUrl??>
                <p id="smart-more-info"><a href="${smartMoreInfoUrl}" rel="noopener noreferrer">${msg("smartMoreInformation", "", smartEhr!"", smartChart!"", smartEhrStart!"")}</a></p>
            </#if>
            <p class="instruction" id="smart-next-step" style="margin-top:1rem">${msg("smartNextStep", "", smartEhr!"", smartChart!"", smartEhrStart!"")}</p>
            <#if smartErrorReference??>
                <p class="instruction" id="smart-error-reference">${msg("smartErrorReferenceLine", smartErrorTime!"", smartErrorReference)}</p>
            </#if>
            <#if traceId??>
                <p class="instruction" id="traceId">${msg("traceIdSupportMessage", traceId)}</p>
            </#if>
        </div>
    </#if>
</@layout.registrationLayout>
